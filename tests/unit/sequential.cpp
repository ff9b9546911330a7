// The stopping rule of --reps auto on fixed samples: the looks, the interval a "same"
// rests on (against an enumeration written here), each answer, the ranking, and the
// false-alarm rate of the whole sequential gate on simulated null data.
#include "results/compare.hpp"
#include "results/sequential.hpp"
#include "results/statistics.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>

using namespace allocbench;

namespace {

Result timed_entry(const std::string& backend, std::vector<double> wall) {
  Result r;
  r.backend = backend;
  r.backend_version = "1.0";
  r.workload = std::string("w");
  r.seed = 1;
  r.threads = 1;
  r.checksum = "ab";
  r.reps = static_cast<int>(wall.size());
  r.metrics["wall_ns"] = summarize(std::move(wall));
  return r;
}

// `looks` > 1: as --reps auto judges, on the medians of sides of different counts.
Comparison judged(std::vector<double> base, std::vector<double> now, double alpha = 0.05, size_t looks = 1) {
  CompareOptions options;
  options.alpha = alpha;
  options.looks = looks;
  return judge(timed_entry("a", std::move(base)), timed_entry("a", std::move(now)), "wall_ns", options);
}

// The interval by brute force: U's null distribution from every split of na + nb ranks.
RatioInterval enumerated_interval(const std::vector<double>& a, const std::vector<double>& b, double alpha) {
  const size_t na = a.size(), nb = b.size(), n = na + nb;
  std::vector<double> u_counts(na * nb + 1, 0);
  double splits = 0;
  for (unsigned mask = 0; mask < (1u << n); ++mask) {
    if (static_cast<size_t>(__builtin_popcount(mask)) != nb) continue;
    size_t u = 0, a_below = 0;  // pairs (a below b), walking the ranks upwards
    for (size_t i = 0; i < n; ++i) (mask >> i & 1) ? u += a_below : ++a_below;
    u_counts[u] += 1;
    splits += 1;
  }
  size_t k = 0;
  for (double below = 0; k < u_counts.size() && (below += u_counts[k] / splits) <= alpha;) ++k;
  if (k == 0) return {0, std::numeric_limits<double>::infinity()};
  std::vector<double> d;
  for (double x : a)
    for (double y : b) d.push_back(std::log(y / x));
  std::sort(d.begin(), d.end());
  return {std::exp(d[k - 1]), std::exp(d[d.size() - k])};
}

}  // namespace

TEST_CASE("unit_sequential_looks_double_up_to_the_bound_and_share_alpha") {
  CHECK(look_sizes(5, 40) == std::vector<int>{5, 10, 20, 40});
  CHECK(look_sizes(5, 30) == std::vector<int>{5, 10, 20, 30});
  CHECK(look_sizes(5, 5) == std::vector<int>{5});
  CHECK(look_sizes(5, 6) == std::vector<int>{5, 6});
  CHECK(alpha_per_look(0.05, 4) == doctest::Approx(0.0125));
  CHECK(alpha_per_look(0.05, 1) == doctest::Approx(0.05));
}

TEST_CASE("unit_sequential_ratio_interval_matches_enumeration") {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> noise(0, 0.05);
  for (auto [na, nb] : {std::pair{5, 5}, {4, 7}, {6, 6}, {3, 9}, {8, 5}, {2, 3}})
    for (double alpha : {0.05, 0.025, 0.0125})
      for (int trial = 0; trial < 3; ++trial) {
        std::vector<double> a, b;
        for (int i = 0; i < na; ++i) a.push_back(100 * noise(rng));
        for (int i = 0; i < nb; ++i) b.push_back(104 * noise(rng));
        RatioInterval want = enumerated_interval(a, b, alpha), got = ratio_interval(a, b, alpha);
        CAPTURE(na);
        CAPTURE(nb);
        CAPTURE(alpha);
        CHECK(got.low == doctest::Approx(want.low));
        if (std::isinf(want.high)) CHECK(std::isinf(got.high));
        else CHECK(got.high == doctest::Approx(want.high));
      }
  // Known critical values: 5 against 5 at 2.5% a side is the 3rd difference from each end.
  std::vector<double> a{1, 2, 3, 4, 5}, b{1, 2, 3, 4, 5};
  std::vector<double> d;
  for (double x : a)
    for (double y : b) d.push_back(y / x);
  std::sort(d.begin(), d.end());
  RatioInterval i = ratio_interval(a, b, 0.025);
  CHECK(i.low == doctest::Approx(d[2]));
  CHECK(i.high == doctest::Approx(d[22]));
}

TEST_CASE("unit_sequential_ratio_interval_covers_the_true_ratio_as_promised") {
  // 30 against 31 takes the normal approximation: each bound may be wrong 2.5% of the time.
  std::mt19937_64 rng(11);
  std::lognormal_distribution<double> noise(0, 0.1);
  int low_wrong = 0, high_wrong = 0;
  const int trials = 2000;
  for (int t = 0; t < trials; ++t) {
    std::vector<double> a, b;
    for (int i = 0; i < 30; ++i) a.push_back(100 * noise(rng));
    for (int i = 0; i < 31; ++i) b.push_back(110 * noise(rng));
    RatioInterval r = ratio_interval(a, b, 0.025);
    low_wrong += r.low > 1.1;
    high_wrong += r.high < 1.1;
  }
  CHECK(low_wrong <= trials * 0.025 * 1.4);
  CHECK(high_wrong <= trials * 0.025 * 1.4);
  CHECK(low_wrong + high_wrong >= trials * 0.05 * 0.5);  // and it is not far wider than it needs to be
}

TEST_CASE("unit_sequential_each_answer_on_fixed_samples") {
  const std::vector<double> base{100, 101, 102, 103, 104};
  // Beyond the threshold, confirmed: different.
  Comparison slower = judged(base, {110, 111, 112, 113, 114}, 0.0125);
  CHECK(slower.verdict == Verdict::regression);
  CHECK(answer(slower) == Answer::different);
  // The same values: the interval lies within ±5%, the answer is clear.
  Comparison same = judged(base, {100.5, 101.5, 102.5, 103.5, 104.5}, 0.0125);
  CHECK(same.within_threshold);
  CHECK(answer(same) == Answer::same);
  // Spread too wide to tell: open, and inconclusive once the bounds are reached.
  Comparison wide = judged(base, {80, 125, 95, 112, 104}, 0.0125);
  CHECK(wide.verdict == Verdict::unchanged);
  CHECK_FALSE(wide.within_threshold);
  CHECK(answer(wide) == Answer::open);
  // +8% on five repetitions at 1.25%: not yet confirmed, not ruled out.
  Comparison maybe = judged(base, {104, 110, 112, 109, 107}, 0.0125);
  CHECK(answer(maybe) == Answer::open);
  // Ten more repetitions a side of the same +8% settle it.
  std::vector<double> base20, now20;
  for (int i = 0; i < 20; ++i) {
    base20.push_back(100 + i % 5);
    now20.push_back(108 + i % 5);
  }
  CHECK(answer(judged(base20, now20, 0.0125)) == Answer::different);

  CompareReport report;
  report.rows = {slower, same, wide};
  close_open_rows(report);
  CHECK(report.rows[0].verdict == Verdict::regression);
  CHECK(report.rows[1].verdict == Verdict::unchanged);
  CHECK(report.rows[2].verdict == Verdict::inconclusive);
  CHECK(report.inconclusive() == 1);
}

TEST_CASE("unit_sequential_a_counted_figure_is_never_left_open") {
  // One counted run a side, whatever the repetitions: more of them cannot settle it.
  Result base = timed_entry("a", {100, 101, 102}), now = timed_entry("a", {100, 101, 102});
  base.metrics["madvise_calls"] = summarize({100});
  now.metrics["madvise_calls"] = summarize({171});
  Comparison row = judge(base, now, "madvise_calls", CompareOptions{});
  CHECK(row.evidence == Evidence::too_few_samples);
  CHECK(answer(row) == Answer::different);  // the threshold's answer, not gated
  CompareReport report;
  report.rows = {row};
  close_open_rows(report);
  CHECK(report.inconclusive() == 0);
}

TEST_CASE("unit_sequential_unequal_counts_are_judged_on_medians") {
  // The same distribution, 5 against 40 repetitions: the best of 40 is lower by chance
  // alone, 4% here, but the medians agree.
  std::vector<double> five{100, 102, 104, 106, 108}, forty;
  for (int i = 0; i < 40; ++i) forty.push_back(96 + i * 0.4);
  Comparison fixed = judged(five, forty, 0.0125, 1), automatic = judged(five, forty, 0.0125, 4);
  CHECK(fixed.estimator == Estimator::min);
  CHECK(fixed.change == doctest::Approx(96.0 / 100 - 1));
  CHECK(automatic.estimator == Estimator::median);
  CHECK(std::fabs(automatic.change) < 0.02);
}

TEST_CASE("unit_sequential_ranking_against_the_fastest") {
  Results results;
  results.results = {timed_entry("fast", {100, 100.2, 100.4, 100.6, 100.8, 101, 101.2, 101.4, 101.6, 101.8}),
                     timed_entry("slow", {150, 151, 152, 153, 154}),
                     timed_entry("tied", {100.1, 100.3, 100.5, 100.7, 100.9, 101.1, 101.3, 101.5, 101.7, 101.9}),
                     timed_entry("noisy", {90, 130, 105, 115, 99})};
  std::vector<Rank> ranks = rank_backends(results, 0.0125);
  REQUIRE(ranks.size() == 4);
  auto of = [&](const std::string& backend) {
    return *std::find_if(ranks.begin(), ranks.end(), [&](const Rank& r) { return r.backend == backend; });
  };
  CHECK(of("fast").is_fastest);
  CHECK(of("slow").answer == Answer::different);
  CHECK(of("slow").ratio == doctest::Approx(152 / 100.9));
  CHECK(of("tied").answer == Answer::same);
  CHECK(of("noisy").answer == Answer::open);
  CHECK(of("fast").answer == Answer::open);  // while another is open, so is the fastest
  results.results.pop_back();
  CHECK(rank_backends(results, 0.0125)[0].answer == Answer::same);
}

TEST_CASE("unit_sequential_false_alarms_over_all_looks_stay_below_alpha") {
  // Identical sides, 500 times through the whole rule: 5, 10, 20, 40 repetitions, both
  // sides growing (as with --reference), stopping when the answer is clear. A false alarm
  // is a regression at any look (an improvement stops the cell too, but fails no check).
  std::mt19937_64 rng(3);
  std::lognormal_distribution<double> noise(0, 0.08);
  const std::vector<int> looks = look_sizes(auto_reps_start, auto_reps_max);
  auto alarm_rate = [&](double alpha_each) {
    int alarms = 0;
    const int trials = 500;
    for (int t = 0; t < trials; ++t) {
      std::vector<double> base, now;
      for (int n : looks) {
        while (static_cast<int>(base.size()) < n) {
          base.push_back(100 * noise(rng));
          now.push_back(100 * noise(rng));
        }
        Comparison c = judged(base, now, alpha_each, looks.size());
        if (answer(c) == Answer::different) {
          alarms += c.verdict == Verdict::regression;
          break;
        }
        if (answer(c) == Answer::same) break;
      }
    }
    return static_cast<double>(alarms) / trials;
  };
  double split = alarm_rate(alpha_per_look(0.05, looks.size()));
  CHECK(split <= 0.05);
  double unsplit = alarm_rate(0.05);
  CHECK(unsplit > split);
  MESSAGE("false alarms over " << looks.size() << " looks: " << split << " with alpha split, " << unsplit
                                << " with the whole alpha at every look");
}
