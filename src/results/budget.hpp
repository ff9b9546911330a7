// Memory budgets (--max-rss, --max-live): a cell whose peak exceeds one counts as a
// regression, reported with the value and, from its timeline, the moment it crossed.
#pragma once

#include "results/results.hpp"

#include <optional>
#include <string>
#include <vector>

namespace allocbench {

struct Budgets {
  int64_t max_rss = 0;   // bytes; 0: none
  int64_t max_live = 0;
  bool any() const { return max_rss > 0 || max_live > 0; }
};

struct BudgetBreach {
  std::string backend, workload, metric;  // metric: peak_rss_bytes or peak_live_bytes
  double value = 0, budget = 0;
  std::optional<double> crossed_at_ms;    // first timeline sample over the budget
};

std::vector<BudgetBreach> check_budgets(const Results& results, const Budgets& budgets);

}  // namespace allocbench
