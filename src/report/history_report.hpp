// What `allocbench history` prints: the change points and drifts of every cell and metric
// as a table, markdown or JSON, and as charts of each metric over the commits in HTML.
#pragma once

#include "results/history.hpp"

#include <string>
#include <string_view>

namespace allocbench {

// table, markdown, json or html; a usage error names --format otherwise.
std::string history_report(const HistoryReport& report, std::string_view format);

// One line for stderr: "2 regressions across 12 commits (1 change point, 1 drift)".
std::string history_summary(const HistoryReport& report);

}  // namespace allocbench
