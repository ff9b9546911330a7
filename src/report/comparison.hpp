// The comparison that the table and markdown reports draw: per workload, one row per
// backend, fastest first, with its ratio to the fastest.
#pragma once

#include "report/report.hpp"

#include <string>
#include <vector>

namespace allocbench {

struct ComparisonTable {
  std::string title;                   // workload and its settings
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> notes;      // caveats and failures, one sentence each
  bool text_last = false;              // the last column is text: aligned left
};

std::vector<ComparisonTable> comparison_tables(const ReportInput& in);

// Rows whose repetitions are further apart than this are flagged as noisy.
inline constexpr double noisy_spread = 0.05;

}  // namespace allocbench
