// The terminal table: aligned columns, numbers right-aligned, one block per workload.
#include "report/comparison.hpp"
#include "report/text_columns.hpp"

namespace allocbench {

std::string table_report(const ReportInput& in) {
  std::string out;
  for (const auto& t : comparison_tables(in)) {
    std::vector<Align> align(t.header.size(), Align::right);
    align[0] = Align::left;  // the backend
    if (t.text_last) align.back() = Align::left;
    out += t.title + "\n" + text_columns(t.header, t.rows, align);
    for (const auto& note : t.notes) out += "   note: " + note + "\n";
    out += "\n";
  }
  if (!out.empty()) out.pop_back();
  return out;
}

}  // namespace allocbench
