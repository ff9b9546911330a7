#include "results/statistics.hpp"
#include "workloads/rng.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>

using namespace allocbench;

TEST_CASE("unit_statistics_median_of_odd_and_even_counts") {
  CHECK(median({5, 1, 3}) == 3);
  CHECK(median({4, 1, 3, 2}) == 2.5);
  CHECK(median({7}) == 7);
}

TEST_CASE("unit_statistics_summary_keeps_samples_in_measured_order") {
  Summary s = summarize({30, 10, 20, 50});
  CHECK(s.median == 25);
  CHECK(s.min == 10);
  CHECK(s.max == 50);
  CHECK(s.samples == std::vector<double>{30, 10, 20, 50});
  CHECK(relative_spread(s) == doctest::Approx(10.0 / 25.0));  // deviations 5, 15, 5, 25: median 10
}

TEST_CASE("unit_statistics_spread_ignores_a_single_outlier") {
  CHECK(relative_spread(summarize({100, 101, 99, 100, 200})) == doctest::Approx(0.01));
}

TEST_CASE("unit_statistics_spread_of_zero_median_is_zero") { CHECK(relative_spread(summarize({0, 0})) == 0); }

namespace {

struct Reference {
  const char* name;
  std::vector<double> a, b;
  double greater, less;  // one-sided p of b tending to be greater / less than a
  double tolerance;      // 1e-6: exact; 2e-3: scipy's Monte Carlo permutation test
};

// From tests/reference/mann_whitney_reference.py: scipy.stats.permutation_test over every
// split of the pooled values (b's mid-rank sum as statistic), or over 10^6 random splits
// where there are too many; cases without ties agree with mannwhitneyu(method="exact").
const std::vector<Reference> references{
    {"separated_3v3", {1, 2, 3}, {4, 5, 6}, 0.050000, 1.000000, 1e-6},
    {"separated_3v4", {1, 2, 3}, {4, 5, 6, 7}, 0.028571, 1.000000, 1e-6},
    {"one_overlap_5v5", {1, 2, 3, 4, 6}, {5, 7, 8, 9, 10}, 0.007937, 0.996032, 1e-6},
    {"lucky_baseline_9v9", {40, 120, 121, 122, 123, 124, 125, 126, 127}, {60, 61, 62, 63, 64, 65, 66, 67, 200},
     0.984266, 0.019992, 1e-6},
    {"lucky_current_9v9", {100, 101, 102, 103, 104, 105, 106, 107, 108}, {70, 150, 151, 152, 153, 154, 155, 156, 157},
     0.001995, 0.998622, 1e-6},
    // mannwhitneyu(method="exact"): no ties, too many splits to enumerate in scipy
    {"interleaved_12v15", {3, 7, 11, 14, 18, 22, 25, 29, 33, 36, 40, 44},
     {1, 5, 9, 13, 16, 20, 24, 27, 31, 35, 38, 42, 46, 48, 50}, 0.290320, 0.725975, 1e-6},
    {"shifted_20v20",
     {100, 102, 104, 106, 108, 110, 112, 114, 116, 118, 120, 122, 124, 126, 128, 130, 132, 134, 136, 138},
     {105, 107, 109, 111, 113, 115, 117, 119, 121, 123, 125, 127, 129, 131, 133, 135, 137, 139, 141, 143}, 0.105482,
     0.899403, 1e-6},
    {"page_rss_5v5", {1228800, 1232896, 1232896, 1236992, 1236992}, {1236992, 1236992, 1241088, 1241088, 1241088},
     0.023810, 1.000000, 1e-6},
    {"all_equal_5v5", {7, 7, 7, 7, 7}, {7, 7, 7, 7, 7}, 1.000000, 1.000000, 1e-6},
    {"bimodal_6v7", {10, 10, 10, 20, 20, 20}, {10, 10, 20, 20, 20, 20, 20}, 0.412587, 0.913753, 1e-6},
    {"ties_3v3", {1, 2, 2}, {2, 3, 3}, 0.150000, 1.000000, 1e-6},
    {"ties_8v10", {1, 1, 2, 2, 2, 3, 3, 4}, {2, 2, 3, 3, 3, 4, 4, 4, 4, 1}, 0.092235, 0.948901, 1e-6},
    {"ties_4v16", {5, 5, 6, 7}, {5, 6, 6, 7, 7, 7, 8, 8, 8, 8, 6, 7, 9, 9, 5, 8}, 0.043137, 0.981631, 1e-6},
    {"ties_20v20", {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4},
     {6, 2, 6, 4, 3, 3, 8, 3, 2, 7, 9, 5, 0, 2, 8, 8, 4, 1, 9, 7}, 0.519051, 0.486264, 2e-3},
};

// Every split of the pooled values, counted: the exact conditional p, written out plainly.
double enumerated_p(const std::vector<double>& a, const std::vector<double>& b, Tail tail) {
  std::vector<double> pooled(a);
  pooled.insert(pooled.end(), b.begin(), b.end());
  std::vector<double> sorted = pooled;
  std::sort(sorted.begin(), sorted.end());
  auto mid_rank = [&](double v) {
    auto lo = std::lower_bound(sorted.begin(), sorted.end(), v) - sorted.begin();
    auto hi = std::upper_bound(sorted.begin(), sorted.end(), v) - sorted.begin();
    return static_cast<double>(lo + 1 + hi) / 2;
  };
  double observed = 0;
  for (double v : b) observed += mid_rank(v);
  const size_t n = pooled.size();
  uint64_t hits = 0, splits = 0;
  for (uint32_t mask = 0; mask < (1u << n); ++mask) {
    if (static_cast<size_t>(__builtin_popcount(mask)) != b.size()) continue;
    double sum = 0;
    for (size_t i = 0; i < n; ++i)
      if (mask >> i & 1) sum += mid_rank(pooled[i]);
    ++splits;
    hits += tail == Tail::greater ? sum >= observed - 1e-9 : sum <= observed + 1e-9;
  }
  return static_cast<double>(hits) / static_cast<double>(splits);
}

}  // namespace

TEST_CASE("unit_statistics_mann_whitney_matches_scipy_with_and_without_ties") {
  for (const auto& r : references) {
    CAPTURE(r.name);
    UTest greater = mann_whitney(r.a, r.b, Tail::greater);
    UTest less = mann_whitney(r.a, r.b, Tail::less);
    CHECK(greater.exact);
    CHECK(std::abs(greater.p - r.greater) <= r.tolerance);
    CHECK(std::abs(less.p - r.less) <= r.tolerance);
  }
}

TEST_CASE("unit_statistics_mann_whitney_is_one_sided") {
  // Twice as fast on 8 of 9 repetitions, one lucky baseline repetition: the best
  // repetition says worse, the samples say better. Worse is not confirmed.
  const auto& lucky = references[3];
  CHECK(mann_whitney(lucky.a, lucky.b, Tail::greater).p > 0.9);
  CHECK(mann_whitney(lucky.a, lucky.b, Tail::less).p < 0.05);
  // Swapping the samples swaps the tails.
  const auto& separated = references[2];
  CHECK(mann_whitney(separated.b, separated.a, Tail::less).p ==
        doctest::Approx(mann_whitney(separated.a, separated.b, Tail::greater).p));
}

TEST_CASE("unit_statistics_mann_whitney_equals_enumeration_of_every_split") {
  // Random samples of 3 to 9 a side, with many ties (values 0..4) and without.
  Rng rng(42);
  for (int round = 0; round < 60; ++round) {
    std::vector<double> a(rng.between(3, 9)), b(rng.between(3, 9));
    uint64_t spread = round % 2 ? 5 : 1000000;
    for (double& v : a) v = static_cast<double>(rng.below(spread));
    for (double& v : b) v = static_cast<double>(rng.below(spread) + rng.below(2));
    for (Tail tail : {Tail::greater, Tail::less}) {
      CAPTURE(round);
      CHECK(mann_whitney(a, b, tail).p == doctest::Approx(enumerated_p(a, b, tail)).epsilon(1e-12));
    }
  }
}

TEST_CASE("unit_statistics_mann_whitney_falls_back_to_the_tie_corrected_normal_approximation") {
  // scipy.stats.mannwhitneyu(b, a, alternative=..., method="asymptotic"): 0.001385 / 0.998639
  std::vector<double> a{100, 101, 99,  97,  99,  97, 100, 104, 99,  98,  101, 101, 100, 97,  100,
                        102, 96,  99,  94,  96,  94, 99,  96,  101, 100, 99,  92,  98,  100, 100,
                        95,  99,  97,  98,  103, 98, 100, 103, 98,  100, 100, 100, 96,  100, 104,
                        95,  103, 100, 98,  106, 102, 96, 100, 102, 99,  102, 100, 102, 104, 98};
  std::vector<double> b{102, 100, 101, 97,  99,  100, 104, 104, 97,  99,  103, 95,  100, 101, 105,
                        103, 100, 100, 100, 106, 100, 100, 102, 101, 100, 98,  101, 100, 104, 103,
                        101, 103, 100, 104, 101, 103, 97,  102, 96,  95,  100, 98,  101, 108, 99,
                        99,  102, 102, 100, 100, 103, 103, 98,  101, 101, 98,  102, 98,  104, 102};
  UTest greater = mann_whitney(a, b, Tail::greater);
  CHECK_FALSE(greater.exact);
  CHECK(greater.p == doctest::Approx(0.001385).epsilon(1e-3));
  CHECK(mann_whitney(a, b, Tail::less).p == doctest::Approx(0.998639).epsilon(1e-3));
}

TEST_CASE("unit_statistics_smallest_reachable_p_for_the_samples_given") {
  auto smallest = [](size_t na, size_t nb) {
    std::vector<double> a(na), b(nb);
    for (size_t i = 0; i < na; ++i) a[i] = static_cast<double>(i);
    for (size_t i = 0; i < nb; ++i) b[i] = static_cast<double>(100 + i);
    return mann_whitney(a, b, Tail::greater).smallest_p;
  };
  // Without ties: 1 / C(na + nb, nb), one-sided.
  CHECK(smallest(3, 3) == doctest::Approx(1.0 / 20));   // never below 0.05
  CHECK(smallest(3, 4) == doctest::Approx(1.0 / 35));
  CHECK(smallest(2, 4) == doctest::Approx(1.0 / 15));
  CHECK(smallest(2, 5) == doctest::Approx(1.0 / 21));
  CHECK(smallest(1, 19) == doctest::Approx(1.0 / 20));  // a baseline of one repetition needs 20 against it
  CHECK(smallest(1, 20) == doctest::Approx(1.0 / 21));
  // Ties raise it when a tie straddles the extreme split: here b may take either 5.
  UTest tied = mann_whitney({1, 2, 3, 4, 5}, {5, 6, 7, 8, 9}, Tail::greater);
  CHECK(tied.smallest_p == doctest::Approx(2.0 / 252));
  CHECK(tied.p == doctest::Approx(enumerated_p({1, 2, 3, 4, 5}, {5, 6, 7, 8, 9}, Tail::greater)));
  // Everything equal: nothing can ever be shown.
  CHECK(mann_whitney({4096, 4096, 4096}, {4096, 4096, 4096, 4096}, Tail::greater).smallest_p == 1);
  CHECK(mann_whitney({}, {1, 2}, Tail::greater).p == 1);
}
