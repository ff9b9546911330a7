// Summaries of a metric's samples over repetitions, and the one-sided Mann–Whitney U
// test that confirms a timed verdict.
#pragma once

#include <cstddef>
#include <vector>

namespace allocbench {

struct Summary {
  double median = 0;
  double min = 0;
  double max = 0;
  std::vector<double> samples;  // in the order they were measured
};

// Requires at least one sample. An even count takes the mean of the middle two.
Summary summarize(std::vector<double> samples);

double median(std::vector<double> values);

// Median absolute deviation from the median, relative to the median: how far a typical
// repetition strays. Robust to one outlier, unlike the range. 0 when the median is 0.
double relative_spread(const Summary& s);

// The alternative of a one-sided test: `b` tends to be greater than `a`, or less.
enum class Tail { greater, less };

struct UTest {
  double p = 1;           // one-sided p-value
  double smallest_p = 1;  // the smallest p any arrangement of these pooled values could give
  bool exact = true;      // false: the tie-corrected normal approximation
};

// One-sided Mann–Whitney U (Wilcoxon rank-sum) test of `b` against `a`. Ties get mid-ranks.
// Exact when affordable: the permutation distribution of b's rank sum, conditional on the
// ties actually present (scipy.stats.permutation_test with the rank sum as statistic gives
// the same p). Beyond that, the normal approximation with tie and continuity corrections
// (scipy.stats.mannwhitneyu(b, a, alternative=..., method="asymptotic")). Empty samples: p = 1.
UTest mann_whitney(const std::vector<double>& a, const std::vector<double>& b, Tail tail);

// A distribution-free confidence interval of the ratio b / a of typical values (the
// Hodges–Lehmann interval of the shift of log values, from the Mann–Whitney distribution,
// as Bauer 1972 gives it): each bound is wrong with probability at most `alpha`, so the
// interval holds with 1 - 2 alpha. Samples must be positive. Too few samples for `alpha`:
// (0, infinity). Exact up to 900 pairs, the normal approximation beyond.
struct RatioInterval {
  double low = 0, high = 0;
};
RatioInterval ratio_interval(const std::vector<double>& a, const std::vector<double>& b, double alpha);

// The fewest samples that, against `other` samples and without ties, can give a one-sided
// p below `alpha`: what a baseline of `other` repetitions needs to be judged against.
size_t samples_needed(size_t other, double alpha);

}  // namespace allocbench
