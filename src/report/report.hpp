// Reports: one file per format, chosen by name in one factory.
#pragma once

#include "results/compare.hpp"
#include "results/sequential.hpp"
#include "results/results.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace allocbench {

// A cell that produced no result, shown where its result would be.
struct FailedCell {
  std::string backend;
  std::string workload;
  std::string reason;
};

struct ReportInput {
  const Results& results;
  const std::vector<FailedCell>& failures;
  bool allocator_stats = false;          // a table of the allocators' own statistics per workload (--stats)
  const CompareReport* verdict = nullptr;  // with --baseline or --reference: the CSV's verdict columns
  std::string_view measure = measure_wall;  // of the run: where a failed cell's row goes
  const std::vector<Rank>* ranking = nullptr;  // --reps auto without a baseline: each backend against the fastest
  double ranking_alpha = 0;                    // of each look, for the ranking
};

using Reporter = std::string (*)(const ReportInput&);

const std::vector<std::string_view>& report_formats();

// Throws a usage error naming `flag` and the known formats when `name` is unknown.
Reporter find_reporter(std::string_view name, std::string_view flag = "--format");

std::string table_report(const ReportInput& in);
std::string markdown_report(const ReportInput& in);
std::string csv_report(const ReportInput& in);
std::string json_report(const ReportInput& in);
std::string bmf_report(const ReportInput& in);
std::string gbench_report(const ReportInput& in);
std::string html_report(const ReportInput& in);

// A self-contained HTML page with the reports' style around `body`.
std::string html_page(std::string_view title, const std::string& body);

}  // namespace allocbench
