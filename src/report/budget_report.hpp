// How a memory budget breach (--max-rss, --max-live) is shown: a line for the table
// and stderr, an entry for the JSON report.
#pragma once

#include "results/budget.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace allocbench {

// "jemalloc / connection-pool: peak RSS 45.2 MiB exceeds the 40.0 MiB budget, first crossed 123.0 ms into the phase"
std::string describe(const BudgetBreach& breach);

// [{"backend", "workload", "metric", "value", "budget", "crossed_at_ms" (null: between samples)}]
nlohmann::json budget_json(const std::vector<BudgetBreach>& breaches);

}  // namespace allocbench
