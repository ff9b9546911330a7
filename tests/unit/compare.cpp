#include "common/error.hpp"
#include "results/compare.hpp"

#include <doctest/doctest.h>

using namespace allocbench;

namespace {

Result entry(const std::string& backend, std::vector<double> wall, double allocs, const std::string& version = "1.0") {
  Result r;
  r.backend = backend;
  r.backend_version = version;
  r.workload = std::string("w");  // not = "w": GCC 12 -Wrestrict false positive (PR 105329)
  r.params = {{"ops", 10}};
  r.threads = 1;
  r.checksum = "ab";
  r.reps = static_cast<int>(wall.size());
  r.metrics["wall_ns"] = summarize(wall);
  r.metrics["allocs"] = summarize({allocs});
  return r;
}

Results results(std::vector<Result> rs) {
  Results out;
  out.environment.cpu = "cpu";
  out.environment.cores = 2;
  out.results = std::move(rs);
  return out;
}

const Comparison& row(const CompareReport& r, const std::string& backend, const std::string& metric) {
  for (const auto& c : r.rows)
    if (c.backend == backend && c.metric == metric) return c;
  FAIL("no row for " << backend << " " << metric);
  static Comparison none;
  return none;
}

const std::vector<double> base_wall{100, 101, 102, 103, 104};
const CompareOptions defaults;

}  // namespace

TEST_CASE("unit_compare_timed_regression_needs_threshold_and_significance") {
  Results base = results({entry("a", base_wall, 10)});
  auto slower = results({entry("a", {110, 111, 112, 113, 114}, 10)});  // +10%, fully separated
  CompareReport r = compare_results(slower, base, defaults, "b");
  const Comparison& c = row(r, "a", "wall_ns");
  CHECK(c.verdict == Verdict::regression);
  CHECK(c.estimator == "min of 5");
  CHECK(c.change == doctest::Approx(0.10));
  CHECK(c.p_value == doctest::Approx(2.0 / 252));
  CHECK(r.regressions() == 1);

  CompareOptions loose;
  loose.thresholds = parse_thresholds("15");
  CHECK(compare_results(slower, base, loose, "b").regressions() == 0);

  // Over the threshold by the minimum, but the samples overlap: no evidence, no alarm.
  auto noisy = results({entry("a", {107, 90, 120, 101, 104}, 10)});
  noisy.results[0].metrics["wall_ns"] = summarize({108, 95, 120, 101, 104});
  CompareOptions tight;
  tight.thresholds = parse_thresholds("1");
  CompareReport overlapping_report = compare_results(noisy, base, tight, "b");
  const Comparison& overlapping = row(overlapping_report, "a", "wall_ns");
  CHECK(overlapping.verdict == Verdict::unchanged);
  CHECK(overlapping.evidence.find("(not significant)") != std::string::npos);
}

TEST_CASE("unit_compare_deterministic_metrics_are_exact_against_the_threshold") {
  Results base = results({entry("a", base_wall, 1000)});
  CompareOptions exact;
  exact.thresholds = parse_thresholds("5,allocs=0");
  CompareReport r = compare_results(results({entry("a", base_wall, 1001)}), base, exact, "b");
  CHECK(row(r, "a", "allocs").verdict == Verdict::regression);
  CHECK(row(r, "a", "allocs").evidence == "deterministic");
  CHECK(row(compare_results(results({entry("a", base_wall, 999)}), base, exact, "b"), "a", "allocs").verdict ==
        Verdict::improvement);
  CHECK(compare_results(results({entry("a", base_wall, 1040)}), base, defaults, "b").regressions() == 0);  // 4% < 5%
}

TEST_CASE("unit_compare_too_few_samples_is_said_and_not_gated") {
  Results base = results({entry("a", {100, 101, 102}, 10)});
  CompareReport r = compare_results(results({entry("a", {200, 201, 202}, 10)}), base, defaults, "b");
  const Comparison& c = row(r, "a", "wall_ns");
  CHECK(c.verdict == Verdict::regression);
  CHECK_FALSE(c.gated);
  CHECK(c.evidence.find("too few samples (3 vs 3)") == 0);
  CHECK(r.regressions() == 0);
}

TEST_CASE("unit_compare_other_machine_or_allocator_version_is_not_gated_unless_asked") {
  Results base = results({entry("a", base_wall, 10)});
  auto slower = results({entry("a", {150, 151, 152, 153, 154}, 10)});
  slower.environment.cpu = "other cpu";
  CompareReport r = compare_results(slower, base, defaults, "b");
  CHECK(r.regressions() == 0);
  CHECK(r.notes.at(0) == "cpu differs: 'cpu' in the baseline, 'other cpu' now");
  CompareOptions anyway;
  anyway.ignore_env = true;
  CHECK(compare_results(slower, base, anyway, "b").regressions() == 1);

  auto upgraded = results({entry("a", {150, 151, 152, 153, 154}, 10, "2.0")});
  CHECK(compare_results(upgraded, base, defaults, "b").regressions() == 0);
  auto leaky = results({entry("a", base_wall, 20, "2.0")});  // deterministic counts stay gated
  CHECK(compare_results(leaky, base, defaults, "b").regressions() == 1);
}

TEST_CASE("unit_compare_lists_new_and_missing_entries_and_orders_regressions_first") {
  Results base = results({entry("a", base_wall, 10), entry("gone", base_wall, 10)});
  auto cur = results({entry("fresh", base_wall, 10), entry("a", base_wall, 20)});
  CompareReport r = compare_results(cur, base, defaults, "b");
  CHECK(r.rows.front().verdict == Verdict::regression);
  CHECK(row(r, "fresh", "").verdict == Verdict::added);
  CHECK(row(r, "gone", "").verdict == Verdict::missing);
  CHECK(r.regressions() == 1);
}

TEST_CASE("unit_compare_reference_backend_judges_the_others") {
  auto run = results({entry("ref", base_wall, 10), entry("slow", {130, 131, 132, 133, 134}, 10),
                      entry("fast", {80, 81, 82, 83, 84}, 10)});
  CompareReport r = compare_to_reference(run, "ref", defaults);
  CHECK(r.against == "reference backend 'ref'");
  CHECK(row(r, "slow", "wall_ns").verdict == Verdict::regression);
  CHECK(row(r, "fast", "wall_ns").verdict == Verdict::improvement);
  CHECK(r.regressions() == 1);
}

TEST_CASE("unit_compare_threshold_and_metric_flags_are_checked") {
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
  CHECK(parse_metric_list("all").size() == 15);
  CHECK_THROWS_AS(parse_metric_list("wall_ns,nope"), Error);
}
