// The terminal table: aligned columns, numbers right-aligned, one block per workload.
#include "report/comparison.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace allocbench {
namespace {

// Display width: count UTF-8 code points, not bytes ("µs").
size_t width(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

}  // namespace

std::string table_report(const ReportInput& in) {
  std::string out;
  for (const auto& t : comparison_tables(in)) {
    std::vector<size_t> widths(t.header.size());
    for (size_t c = 0; c < t.header.size(); ++c) {
      widths[c] = width(t.header[c]);
      for (const auto& row : t.rows) widths[c] = std::max(widths[c], width(row[c]));
    }
    auto line = [&](const std::vector<std::string>& cells) {
      std::string l = " ";
      for (size_t c = 0; c < cells.size(); ++c) {
        std::string pad(widths[c] - width(cells[c]), ' ');
        l += "  " + (c == 0 ? cells[c] + pad : pad + cells[c]);
      }
      return l + "\n";
    };
    out += t.title + "\n" + line(t.header);
    for (const auto& row : t.rows) out += line(row);
    for (const auto& note : t.notes) out += "   note: " + note + "\n";
    out += "\n";
  }
  if (!out.empty()) out.pop_back();
  return out;
}

}  // namespace allocbench
