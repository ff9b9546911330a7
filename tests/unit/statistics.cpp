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
