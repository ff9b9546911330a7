#include "results/statistics.hpp"

#include <doctest/doctest.h>

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

TEST_CASE("unit_statistics_mann_whitney_exact_small_samples") {
  // Complete separation of 5 vs 5: U = 0, two-sided exact p = 2 / C(10, 5).
  CHECK(mann_whitney_p({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}) == doctest::Approx(2.0 / 252));
  CHECK(mann_whitney_p({6, 7, 8, 9, 10}, {1, 2, 3, 4, 5}) == doctest::Approx(2.0 / 252));
  // Interleaved samples: no evidence of a difference.
  CHECK(mann_whitney_p({1, 3, 5, 7}, {2, 4, 6, 8}) > 0.5);
  // scipy.stats.mannwhitneyu([1,2,3,4,6], [5,7,8,9,10], method="exact").pvalue == 0.015873...
  CHECK(mann_whitney_p({1, 2, 3, 4, 6}, {5, 7, 8, 9, 10}) == doctest::Approx(4.0 / 252));
}

TEST_CASE("unit_statistics_mann_whitney_with_ties_uses_the_normal_approximation") {
  CHECK(mann_whitney_p({5, 5, 5, 5}, {5, 5, 5, 5}) == 1);
  // scipy.stats.mannwhitneyu([1,1,2,2,3,3], [3,4,4,5,5,6], method="asymptotic").pvalue == 0.00747...
  CHECK(mann_whitney_p({1, 1, 2, 2, 3, 3}, {3, 4, 4, 5, 5, 6}) == doctest::Approx(0.00747).epsilon(0.01));
}

TEST_CASE("unit_statistics_smallest_p_says_when_a_test_is_hopeless") {
  CHECK(smallest_p(3, 3) == doctest::Approx(0.1));
  CHECK(smallest_p(4, 4) == doctest::Approx(2.0 / 70));
  CHECK(smallest_p(1, 100) == doctest::Approx(2.0 / 101));
  CHECK(smallest_p(0, 5) == 1);
}
