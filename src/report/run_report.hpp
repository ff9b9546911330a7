// The whole report of `allocbench run`: the results in the format asked for, with the
// verdict (--baseline, --reference) and the memory budget breaches (--max-rss,
// --max-live) each format carries in its own way.
#pragma once

#include "report/report.hpp"
#include "results/budget.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace allocbench {

struct RunReport {
  std::string text;       // for stdout or --output
  std::string on_stderr;  // for bmf and gbench, which other tools read: the verdict goes here
};

RunReport run_report(const ReportInput& input, std::string_view format, const std::vector<BudgetBreach>& breaches);

}  // namespace allocbench
