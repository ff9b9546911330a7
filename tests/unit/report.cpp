#include "common/error.hpp"
#include "report/report.hpp"
#include "results/aggregate.hpp"
#include "sample_fixture.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace allocbench;

namespace {
Results two_backends() {
  return {{}, {aggregate({worker_sample("slow", 300), worker_sample("slow", 310)}),
               aggregate({worker_sample("fast", 100), worker_sample("fast", 101)})}};
}
}  // namespace

TEST_CASE("unit_report_table_sorts_fastest_first_with_ratio") {
  Results r = two_backends();
  std::vector<FailedCell> none;
  std::string t = table_report({r, none});
  auto fast = t.find("fast"), slow = t.find("slow");
  REQUIRE(fast != std::string::npos);
  REQUIRE(slow != std::string::npos);
  CHECK(fast < slow);
  CHECK(t.find("1.00") != std::string::npos);
  CHECK(t.find("3.03") != std::string::npos);  // 305 / 100.5
  CHECK(t.find("4.00 KiB") != std::string::npos);
}

TEST_CASE("unit_report_failed_cells_appear_with_their_reason") {
  Results r = two_backends();
  std::vector<FailedCell> failed{{"broken", "w", "killed by signal 11 (Segmentation fault)"}};
  std::string t = table_report({r, failed});
  CHECK(t.find("broken") != std::string::npos);
  CHECK(t.find("note: broken failed: killed by signal 11") != std::string::npos);
}

TEST_CASE("unit_report_noisy_rows_are_marked_with_the_remedy") {
  Results r{{}, {aggregate({worker_sample("jumpy", 100), worker_sample("jumpy", 150)})}};
  std::vector<FailedCell> none;
  std::string t = table_report({r, none});
  CHECK(t.find("40.0% !") != std::string::npos);  // (150 - 100) / 125
  CHECK(t.find("more --reps") != std::string::npos);
}

TEST_CASE("unit_report_markdown_is_a_pipe_table") {
  Results r = two_backends();
  std::vector<FailedCell> none;
  std::string md = markdown_report({r, none});
  CHECK(md.find("### w") == 0);
  CHECK(md.find("| backend | time | spread | ops/s | peak live | peak RSS | vs fastest |\n|---|--:|--:|--:|--:|--:|--:|\n") !=
        std::string::npos);
  CHECK(md.find("| fast | ") != std::string::npos);
}

TEST_CASE("unit_report_csv_has_one_row_per_metric_and_quotes_fields") {
  Results r = two_backends();
  r.results[0].backend = "odd,\"name\"";
  std::vector<FailedCell> none;
  std::string csv = csv_report({r, none});
  CHECK(csv.rfind("backend,backend_version,workload,params,threads,reps,metric,unit,median,min,max\n", 0) == 0);
  CHECK(csv.find("\"odd,\"\"name\"\"\",1.0,w,ops=10,1,2,wall_ns,ns,305,300,310\n") != std::string::npos);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 1 + 2 * 15);
}

TEST_CASE("unit_report_unknown_format_lists_known_ones") {
  CHECK_THROWS_WITH_AS(find_reporter("xml"), "--format: unknown format 'xml'; expected one of: table, json, markdown, csv",
                       Error);
}
