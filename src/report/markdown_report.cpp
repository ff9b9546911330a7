// GitHub-flavoured Markdown: ready for a CI job summary or a pull-request comment.
#include "report/comparison.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace allocbench {

std::string markdown_report(const ReportInput& in) {
  std::string out;
  for (const auto& t : comparison_tables(in)) {
    std::string rule = "|---|";  // backend left-aligned, figures right-aligned
    for (size_t c = 1; c < t.header.size(); ++c) rule += t.text_last && c + 1 == t.header.size() ? "---|" : "--:|";
    out += fmt::format("### {}\n\n| {} |\n{}\n", t.title, fmt::join(t.header, " | "), rule);
    for (const auto& row : t.rows) out += fmt::format("| {} |\n", fmt::join(row, " | "));
    if (!t.notes.empty()) out += "\n";
    for (const auto& note : t.notes) out += fmt::format("> {}\n", note);
    out += "\n";
  }
  return out;
}

}  // namespace allocbench
