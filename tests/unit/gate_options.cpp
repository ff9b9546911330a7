#include "common/error.hpp"
#include "driver/gate_options.hpp"
#include "results/metrics.hpp"

#include <doctest/doctest.h>

using namespace allocbench;

TEST_CASE("unit_gate_options_threshold_and_metric_flags_are_checked") {
  Thresholds t = parse_thresholds("3,wall_ns=10,peak_live_bytes=0");
  CHECK(t.of("allocs") == doctest::Approx(0.03));
  CHECK(t.of("wall_ns") == doctest::Approx(0.10));
  CHECK(t.of("peak_live_bytes") == 0);
  CHECK_THROWS_WITH_AS(parse_thresholds("fast"),
                       "--threshold 'fast': expected a percentage >= 0 such as 5, or METRIC=PERCENT such as "
                       "wall_ns=10, got 'fast'",
                       Error);
  CHECK_THROWS_AS(parse_thresholds("-1"), Error);
  CHECK_THROWS_AS(parse_thresholds("wall_ns="), Error);
  CHECK_THROWS_WITH_AS(parse_thresholds("speed=5"), doctest::Contains("--threshold: unknown metric 'speed'; known: wall_ns"),
                       Error);
  CHECK(parse_metric_list("all").size() == metric_table().size());  // every metric of the table
  CHECK(parse_metric_list("all").size() == 98);
  CHECK(parse_metric_list("allocator.resident_bytes") == std::vector<std::string>{"allocator.resident_bytes"});
  CHECK_THROWS_AS(parse_metric_list("wall_ns,nope"), Error);
  // A call kind's figure in a size band: outside the table, every part checked.
  CHECK(parse_metric_list("malloc_le_64_p99_ns,free_gt_128k_calls_timed").size() == 2);
  for (const char* name : {"malloc_le_64_p90_ns", "malloc_le_65_p99_ns", "mmap_le_64_p99_ns", "malloc_le_64", "malloc_p99_ns_le_64"})
    CHECK_THROWS_WITH_AS(parse_metric_list(name), doctest::Contains("KIND_BAND_FIGURE with BAND one of le_64, le_1k"), Error);
}

TEST_CASE("unit_gate_options_a_check_that_matches_nothing_does_not_pass") {
  ResultKey run{"system", "w", "wall", {{"ops", 10}}, 7, 2, ""}, saved{"system", "w", "wall", {{"ops", 10}}, 1, 1, ""};
  CHECK_THROWS_WITH_AS(require_counterparts({run}, "this run", {saved}, "baseline 'b.json'"),
                       doctest::Contains("no entry of this run has a counterpart in baseline 'b.json'"), Error);
  CHECK_THROWS_WITH_AS(require_counterparts({run}, "this run", {saved}, "baseline 'b.json'"),
                       doctest::Contains("system · w · ops=10 · seed 7 · 2 threads"), Error);
  CHECK_NOTHROW(require_counterparts({run, saved}, "this run", {saved}, "baseline 'b.json'"));
}
