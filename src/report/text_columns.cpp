#include "report/text_columns.hpp"

#include <algorithm>

namespace allocbench {
namespace {

size_t width(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

}  // namespace

std::string text_columns(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                         const std::vector<Align>& align) {
  std::vector<size_t> widths(header.size());
  for (size_t c = 0; c < header.size(); ++c) {
    widths[c] = width(header[c]);
    for (const auto& row : rows) widths[c] = std::max(widths[c], width(row[c]));
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string l = " ";
    for (size_t c = 0; c < cells.size(); ++c) {
      bool last = c + 1 == cells.size();
      std::string pad(widths[c] - width(cells[c]), ' ');
      l += "  " + (align[c] == Align::right ? pad + cells[c] : cells[c] + (last ? "" : pad));
    }
    l.erase(l.find_last_not_of(' ') + 1);  // empty last cells leave the padding before them
    return l + "\n";
  };
  bool headed = std::any_of(header.begin(), header.end(), [](const std::string& h) { return !h.empty(); });
  std::string out = headed ? line(header) : "";
  for (const auto& row : rows) out += line(row);
  return out;
}

}  // namespace allocbench
