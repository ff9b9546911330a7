#include "common/error.hpp"
#include "report/report.hpp"
#include "results/aggregate.hpp"
#include "results/compare.hpp"
#include "repetition_fixture.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>

using namespace allocbench;

namespace {
Result cell(const std::string& backend, std::vector<double> walls) {
  std::vector<Repetition> measured;
  for (double w : walls) measured.push_back(measured_repetition(backend, w));
  auto counted = counted_repetition(backend);
  return aggregate(measured, &counted);
}

Results two_backends() { return {{}, {cell("slow", {300, 310}), cell("fast", {100, 101})}}; }
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
  Results r{{}, {cell("jumpy", {100, 150})}};
  std::vector<FailedCell> none;
  std::string t = table_report({r, none});
  CHECK(t.find("20.0% !") != std::string::npos);  // median deviation 25 of median 125
  CHECK(t.find("results might be unstable; use more --reps") != std::string::npos);
}

TEST_CASE("unit_report_markdown_is_a_pipe_table") {
  Results r = two_backends();
  std::vector<FailedCell> none;
  std::string md = markdown_report({r, none});
  CHECK(md.find("### w") == 0);
  CHECK(md.find("| backend | time | spread | ops/s | peak live | peak RSS | RSS/live | res/alloc | vs fastest |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|\n") !=
        std::string::npos);
  CHECK(md.find("| fast | ") != std::string::npos);
}

TEST_CASE("unit_report_csv_has_one_row_per_metric_and_quotes_fields") {
  Results r = two_backends();
  r.results[0].backend = "odd,\"name\"";
  std::vector<FailedCell> none;
  std::string csv = csv_report({r, none});
  CHECK(csv.rfind("backend,backend_version,workload,params,seed,threads,reps,metric,unit,median,min,max\n", 0) == 0);
  CHECK(csv.find("\"odd,\"\"name\"\"\",1.0,w,ops=10,1,1,2,wall_ns,ns,305,300,310\n") != std::string::npos);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 1 + 2 * (15 + 2));  // 15 metrics, 2 allocator statistics
  CHECK(csv.find(",allocs,count,10,10,10\n") != std::string::npos);
}

TEST_CASE("unit_report_unknown_format_lists_known_ones") {
  CHECK_THROWS_WITH_AS(find_reporter("xml"), "--format: unknown format 'xml'; expected one of: table, json, markdown, csv, bmf, gbench, html",
                       Error);
}

TEST_CASE("unit_report_csv_carries_the_verdicts") {
  Results base = two_backends(), now = two_backends();
  now.results[0].metrics["wall_ns"] = summarize({600, 610, 620, 630, 640});
  base.results[0].metrics["wall_ns"] = summarize({300, 301, 302, 303, 304});
  now.results[1].checksum = "different";
  const CompareOptions defaults;
  CompareReport verdict = compare_results(now, base, defaults, "b.json");
  std::vector<FailedCell> none;
  std::string csv = csv_report({now, none, false, &verdict});
  CHECK(csv.rfind("backend,backend_version,workload,params,seed,threads,reps,metric,unit,median,min,max,verdict,gated,"
                  "estimator,baseline,change,threshold,p,evidence\n",
                  0) == 0);
  CHECK(csv.find("slow,1.0,w,ops=10,1,1,2,wall_ns,ns,620,600,640,regression,true,min,300,1,0.05,0.003968253968253") !=
        std::string::npos);
  CHECK(csv.find(",allocs,count,10,10,10,unchanged,true,median,10,0,0.05,,deterministic\n") != std::string::npos);
  CHECK(csv.find("fast,1.0,w,ops=10,1,1,2,wall_ns,ns,100.5,100,101,not comparable,false,,,,,,") != std::string::npos);
  // A row per metric, as without a verdict: nothing is dropped, and every row has every field.
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 1 + 2 * (15 + 2));
  std::istringstream lines(csv);
  for (std::string line; std::getline(lines, line);) {
    CAPTURE(line);
    size_t fields = 1;
    bool quoted = false;
    for (char c : line) {
      if (c == '"') quoted = !quoted;
      fields += c == ',' && !quoted;
    }
    CHECK(fields == 20);
  }
}
