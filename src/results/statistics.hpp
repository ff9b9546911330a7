// Summaries of a metric's samples over repetitions.
#pragma once

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

}  // namespace allocbench
