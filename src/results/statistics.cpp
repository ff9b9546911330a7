#include "results/statistics.hpp"

#include "common/error.hpp"

#include <algorithm>
#include <cmath>

namespace allocbench {

double median(std::vector<double> values) {
  ALLOCBENCH_CHECK(!values.empty());
  size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<long>(mid), values.end());
  double upper = values[mid];
  if (values.size() % 2) return upper;
  double lower = *std::max_element(values.begin(), values.begin() + static_cast<long>(mid));
  return lower + (upper - lower) / 2;
}

Summary summarize(std::vector<double> samples) {
  ALLOCBENCH_CHECK(!samples.empty());
  auto [lo, hi] = std::minmax_element(samples.begin(), samples.end());
  Summary s{median(samples), *lo, *hi, {}};
  s.samples = std::move(samples);
  return s;
}

double relative_spread(const Summary& s) {
  if (s.median == 0) return 0;
  std::vector<double> deviations;
  for (double x : s.samples) deviations.push_back(std::fabs(x - s.median));
  return median(std::move(deviations)) / std::fabs(s.median);
}

}  // namespace allocbench
