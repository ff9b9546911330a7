#include "report/report.hpp"

#include "common/error.hpp"

#include <fmt/ranges.h>

#include <utility>

namespace allocbench {
namespace {

// Adding a format: its file, and one line here.
const std::vector<std::pair<std::string_view, Reporter>>& reporters() {
  static const std::vector<std::pair<std::string_view, Reporter>> table{
      {"table", table_report},
      {"json", json_report},
      {"markdown", markdown_report},
      {"csv", csv_report},
      {"bmf", bmf_report},
      {"gbench", gbench_report},
      {"html", html_report},
  };
  return table;
}

}  // namespace

const std::vector<std::string_view>& report_formats() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> n;
    for (const auto& [name, _] : reporters()) n.push_back(name);
    return n;
  }();
  return names;
}

Reporter find_reporter(std::string_view name, std::string_view flag) {
  for (const auto& [n, r] : reporters())
    if (n == name) return r;
  throw usage_error("{}: unknown format '{}'; expected one of: {}", flag, name, fmt::join(report_formats(), ", "));
}

}  // namespace allocbench
