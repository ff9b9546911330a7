#include "results/compare.hpp"
#include "results/statistics.hpp"

#include <doctest/doctest.h>

using namespace allocbench;

namespace {

Result entry(const std::string& backend, std::vector<double> wall, double allocs, const std::string& version = "1.0") {
  Result r;
  r.backend = backend;
  r.backend_version = version;
  r.workload = std::string("w");  // not = "w": GCC 12 -Wrestrict false positive (PR 105329)
  r.params = {{"ops", 10}};
  r.seed = 1;
  r.threads = 1;
  r.checksum = "ab";
  r.reps = static_cast<int>(wall.size());
  r.environment.cpu = "cpu";
  r.environment.cores = 2;
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
    if (c.key.backend == backend && c.metric == metric) return c;
  FAIL("no row for " << backend << " " << metric);
  static Comparison none;
  return none;
}

Comparison wall(std::vector<double> base, std::vector<double> now, double threshold_percent = 5) {
  CompareOptions options;
  options.thresholds.all = threshold_percent / 100;
  return judge(entry("a", std::move(base), 10), entry("a", std::move(now), 10), "wall_ns", options);
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
  CHECK(c.evidence == Evidence::tested);
  CHECK(c.estimator == Estimator::min);
  CHECK(c.direction == Direction::worse);
  CHECK(c.change == doctest::Approx(0.10));
  CHECK(c.p == doctest::Approx(1.0 / 252));  // one-sided
  CHECK(c.significant);
  CHECK(r.regressions() == 1);

  CompareOptions loose;
  loose.thresholds.all = 0.15;
  CHECK(compare_results(slower, base, loose, "b").regressions() == 0);

  // Over the threshold by the minimum, but the samples overlap: no evidence, no alarm.
  Comparison overlapping = wall(base_wall, {108, 95, 120, 101, 104}, 1);
  CHECK(overlapping.direction == Direction::better);  // min 95 < 100
  CHECK(overlapping.verdict == Verdict::unchanged);
  CHECK_FALSE(overlapping.significant);
}

TEST_CASE("unit_compare_a_lucky_baseline_repetition_is_not_a_regression") {
  // About twice as fast on 8 of 9 repetitions; the baseline's best is one lucky 40. The
  // best repetition says +50%, the repetitions say better (one-sided p = 0.020): the
  // median decides, and it is an improvement, never a regression.
  Comparison c = wall({40, 120, 121, 122, 123, 124, 125, 126, 127}, {60, 61, 62, 63, 64, 65, 66, 67, 200});
  CHECK(c.contradicted);
  CHECK(c.estimator == Estimator::median);
  CHECK(c.baseline == 123);
  CHECK(c.current == 64);
  CHECK(c.direction == Direction::better);
  CHECK(c.p == doctest::Approx(0.019992).epsilon(1e-4));
  CHECK(c.verdict == Verdict::improvement);
  // Without the median's say, the best repetition alone would have been +50% worse.
  CHECK(mann_whitney({40, 120, 121, 122, 123, 124, 125, 126, 127}, {60, 61, 62, 63, 64, 65, 66, 67, 200},
                     Tail::greater).p > 0.9);
}

TEST_CASE("unit_compare_a_lucky_current_repetition_does_not_hide_a_regression") {
  // The run is about 50% slower on 8 of 9; one lucky fast repetition makes its best look
  // 30% better. The repetitions say worse (p = 0.002): the median decides, a regression.
  Comparison c = wall({100, 101, 102, 103, 104, 105, 106, 107, 108}, {70, 150, 151, 152, 153, 154, 155, 156, 157});
  CHECK(c.contradicted);
  CHECK(c.estimator == Estimator::median);
  CHECK(c.direction == Direction::worse);
  CHECK(c.change == doctest::Approx(153.0 / 104 - 1));
  CHECK(c.p == doctest::Approx(0.001995).epsilon(1e-3));
  CHECK(c.verdict == Verdict::regression);
  CHECK(c.gated);
}

TEST_CASE("unit_compare_peak_live_of_threads_counts_beyond_its_error_bounds") {
  auto peak = [](double then, double now) {
    Result base = entry("a", base_wall, 10), cur = entry("a", base_wall, 10);
    for (Result* r : {&base, &cur}) {
      r->threads = 2;
      r->peak_live_error_bound = 131072;  // 2 threads x 64 KiB
    }
    base.metrics["peak_live_bytes"] = summarize({then});
    cur.metrics["peak_live_bytes"] = summarize({now});
    return judge(base, cur, "peak_live_bytes", defaults);
  };
  Comparison within = peak(1'000'000, 1'200'000);  // +20%, but 200 KB < 256 KiB of bounds
  CHECK(within.evidence == Evidence::bounded);
  CHECK(within.bound == 262144);
  CHECK(within.gated);
  CHECK(within.verdict == Verdict::unchanged);
  Comparison beyond = peak(1'000'000, 1'300'000);
  CHECK(beyond.verdict == Verdict::regression);
}

TEST_CASE("unit_compare_the_counted_runs_noisy_figures_are_one_sample_a_side_and_not_gated") {
  // Identical runs gave return_syscalls_ns 100 then 171 (+71%): no bound holds such a figure.
  Result base = entry("a", base_wall, 10), cur = entry("a", base_wall, 10);
  base.metrics["return_syscalls_ns"] = summarize({100'000});
  cur.metrics["return_syscalls_ns"] = summarize({171'000});
  Comparison c = judge(base, cur, "return_syscalls_ns", defaults);
  CHECK(c.evidence == Evidence::too_few_samples);
  CHECK_FALSE(c.gated);
  CHECK(c.change == doctest::Approx(0.71));
}

TEST_CASE("unit_compare_bimodal_and_equal_samples") {
  // Two modes on both sides, the current with more of the slow one: min unchanged.
  Comparison bimodal = wall({10, 10, 10, 20, 20, 20}, {10, 10, 20, 20, 20, 20, 20});
  CHECK(bimodal.change == 0);
  CHECK(bimodal.verdict == Verdict::unchanged);
  CHECK(bimodal.p == doctest::Approx(0.412587).epsilon(1e-5));  // scipy permutation_test, one-sided
  // The slow mode only: +100% by the min, and confirmed.
  Comparison slow = wall({10, 10, 10, 20, 20, 20}, {20, 20, 20, 20, 20, 20, 20});
  CHECK(slow.verdict == Verdict::regression);
  // Everything equal: no change, nothing to test.
  Comparison equal = wall({7, 7, 7, 7, 7}, {7, 7, 7, 7, 7});
  CHECK(equal.change == 0);
  CHECK(equal.p == 1);
  CHECK(equal.verdict == Verdict::unchanged);
}

TEST_CASE("unit_compare_ties_use_the_exact_distribution") {
  // Page-sized RSS samples, 5 against 6: the normal approximation gives p = 0.048
  // (two-sided; 0.024 one-sided). The exact conditional distribution gives 0.061, and no
  // arrangement of these tied values could give less: not gated.
  const double page = 4096;
  Result base = entry("a", base_wall, 10), now = entry("a", base_wall, 10);
  base.metrics["peak_rss_bytes"] = summarize({100 * page, 110 * page, 110 * page, 120 * page, 120 * page});
  now.metrics["peak_rss_bytes"] = summarize(std::vector<double>(6, 120 * page));
  Comparison c = judge(base, now, "peak_rss_bytes", defaults);
  CHECK(c.change == doctest::Approx(0.2));
  CHECK(c.p == doctest::Approx(0.0606061).epsilon(1e-5));
  CHECK(c.smallest_p == doctest::Approx(0.0606061).epsilon(1e-5));
  CHECK(c.evidence == Evidence::too_few_samples);
  CHECK_FALSE(c.gated);
  // One page less in one baseline repetition breaks the tie at the top: now testable, and significant.
  base.metrics["peak_rss_bytes"] = summarize({100 * page, 110 * page, 110 * page, 119 * page, 120 * page});
  Comparison split = judge(base, now, "peak_rss_bytes", defaults);
  CHECK(split.evidence == Evidence::tested);
  CHECK(split.p == doctest::Approx(split.smallest_p));
  CHECK(split.verdict == Verdict::regression);
}

TEST_CASE("unit_compare_deterministic_metrics_are_exact_against_the_threshold") {
  Results base = results({entry("a", base_wall, 1000)});
  CompareOptions exact;
  exact.thresholds.metric["allocs"] = 0;
  CompareReport r = compare_results(results({entry("a", base_wall, 1001)}), base, exact, "b");
  CHECK(row(r, "a", "allocs").verdict == Verdict::regression);
  CHECK(row(r, "a", "allocs").evidence == Evidence::deterministic);
  CHECK_FALSE(row(r, "a", "allocs").tested);
  CHECK(row(compare_results(results({entry("a", base_wall, 999)}), base, exact, "b"), "a", "allocs").verdict ==
        Verdict::improvement);
  CHECK(compare_results(results({entry("a", base_wall, 1040)}), base, defaults, "b").regressions() == 0);  // 4% < 5%
}

TEST_CASE("unit_compare_too_few_samples_follow_the_samples_given") {
  // 3 against 3 can never reach p < 0.05 one-sided (1/20 at best): said, not gated.
  Comparison three = wall({100, 101, 102}, {200, 201, 202});
  CHECK(three.evidence == Evidence::too_few_samples);
  CHECK(three.smallest_p == doctest::Approx(0.05));
  CHECK(three.verdict == Verdict::regression);
  CHECK_FALSE(three.gated);
  // 3 against 4 can (1/35), and 2 against 4 cannot (1/15).
  CHECK(wall({100, 101, 102}, {200, 201, 202, 203}).evidence == Evidence::tested);
  CHECK(wall({100, 101, 102}, {200, 201, 202, 203}).gated);
  CHECK(wall({100, 101}, {200, 201, 202, 203}).evidence == Evidence::too_few_samples);
  // A baseline of one repetition: 19 against it cannot, 20 can.
  std::vector<double> twenty;
  for (int i = 0; i < 20; ++i) twenty.push_back(200 + i);
  std::vector<double> nineteen(twenty.begin(), twenty.end() - 1);
  CHECK(wall({100}, nineteen).evidence == Evidence::too_few_samples);
  CHECK(wall({100}, twenty).evidence == Evidence::tested);
  CHECK(wall({100}, twenty).verdict == Verdict::regression);
  // Ties can make enough samples untestable: the current all equal to the baseline's slowest,
  // so that at best 5 of the 70 splits are as extreme (p >= 0.071).
  Comparison tied = wall({100, 100, 100, 110}, {110, 110, 110, 110});
  CHECK(tied.change == doctest::Approx(0.1));
  CHECK(tied.smallest_p == doctest::Approx(5.0 / 70));
  CHECK(tied.evidence == Evidence::too_few_samples);
  CHECK_FALSE(tied.gated);
  // Identical counts on both sides (callgrind with threads): unchanged, nothing to decide.
  Comparison identical = wall({100, 100, 100, 100}, {100, 100, 100, 100, 100});
  CHECK(identical.evidence == Evidence::tested);
  CHECK(identical.verdict == Verdict::unchanged);
  CHECK(identical.p == 1);
  // Identical within each side and moved: fully separated, and gated.
  Comparison shifted = wall({100, 100, 100, 100}, {102, 102, 102, 102});
  CHECK(shifted.evidence == Evidence::tested);
  CHECK(shifted.p == doctest::Approx(1.0 / 70));
  CHECK(shifted.verdict == Verdict::unchanged);  // +2% < 5%
}

TEST_CASE("unit_compare_entries_differing_in_seed_or_threads_are_not_counterparts") {
  Results base = results({entry("a", base_wall, 10)});
  Result other_seed = entry("a", base_wall, 10);
  other_seed.seed = 7;
  other_seed.threads = 2;
  CompareReport r = compare_results(results({other_seed}), base, defaults, "b");
  CHECK(r.matched == 0);
  REQUIRE(r.rows.size() == 2);  // the missing entry and the added one
  CHECK(r.rows[0].verdict == Verdict::missing);
  CHECK(r.rows[1].verdict == Verdict::added);
  CHECK(r.rows[1].key.threads == 2);
  CHECK(r.rows[1].key.seed == 7);
  CHECK(r.rows[0].key.seed == 1);
}

TEST_CASE("unit_compare_same_key_other_checksum_is_not_comparable") {
  Results base = results({entry("a", base_wall, 10)});
  Result different = entry("a", {200, 201, 202, 203, 204}, 99);
  different.checksum = "cd";
  CompareReport r = compare_results(results({different}), base, defaults, "b");
  CHECK(r.matched == 1);
  CHECK(r.not_comparable() == 1);
  CHECK(r.regressions() == 0);  // nothing of it is judged
  const Comparison& c = r.rows.front();
  CHECK(c.verdict == Verdict::not_comparable);
  CHECK(c.baseline_checksum == "ab");
  CHECK(c.current_checksum == "cd");
  CHECK(r.rows.size() == 1);
}

TEST_CASE("unit_compare_environment_is_each_entrys_own") {
  // A baseline saved on this machine, with one entry kept from another machine.
  Result here = entry("a", base_wall, 10), elsewhere = entry("b", base_wall, 10);
  elsewhere.environment.cpu = "other cpu";
  Results base = results({here, elsewhere});
  auto slower = results({entry("a", {150, 151, 152, 153, 154}, 10), entry("b", {150, 151, 152, 153, 154}, 10)});
  CompareReport r = compare_results(slower, base, defaults, "b");
  CHECK(row(r, "a", "wall_ns").gated);
  CHECK(row(r, "a", "wall_ns").evidence == Evidence::tested);
  CHECK(row(r, "b", "wall_ns").evidence == Evidence::other_environment);
  CHECK_FALSE(row(r, "b", "wall_ns").gated);
  CHECK(r.regressions() == 1);
  REQUIRE(r.environment_changes.size() == 1);
  CHECK(r.environment_changes[0] == EnvironmentChange{"cpu", "other cpu", "cpu", true, false});
  CompareOptions anyway;
  anyway.ignore_env = true;
  CHECK(compare_results(slower, base, anyway, "b").regressions() == 2);

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
  CHECK(r.against == Against::reference);
  CHECK(r.against_name == "ref");
  CHECK(row(r, "slow", "wall_ns").verdict == Verdict::regression);
  CHECK(row(r, "fast", "wall_ns").verdict == Verdict::improvement);
  CHECK(r.regressions() == 1);
  // Another seed is other work: not judged against the reference.
  run.results[1].seed = 2;
  CHECK(compare_to_reference(run, "ref", defaults).regressions() == 0);
}
