// Summaries of a metric's samples over repetitions.
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

// Two-sided p-value of the Mann–Whitney U test that `a` and `b` come from the same
// distribution: exact without ties on small samples, else the normal approximation with
// tie and continuity corrections (as scipy.stats.mannwhitneyu, used by Google
// Benchmark's compare.py).
double mann_whitney_p(const std::vector<double>& a, const std::vector<double>& b);

// The smallest two-sided p-value the test can give for these sample sizes: when it is
// above the significance level, no difference can ever be shown with so few samples.
double smallest_p(std::size_t n1, std::size_t n2);

}  // namespace allocbench
