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

namespace {

// Number of orderings of n1 + n2 values giving each U, by the classic recurrence
// f(n1, n2, u) = f(n1 - 1, n2, u - n2) + f(n1, n2 - 1, u).
std::vector<double> u_distribution(size_t n1, size_t n2) {
  std::vector<std::vector<std::vector<double>>> f(n1 + 1, std::vector<std::vector<double>>(n2 + 1));
  for (size_t i = 0; i <= n1; ++i)
    for (size_t j = 0; j <= n2; ++j) {
      f[i][j].assign(i * j + 1, 0);
      if (i == 0 || j == 0) {
        f[i][j][0] = 1;
        continue;
      }
      for (size_t u = 0; u <= i * j; ++u)
        f[i][j][u] = (u >= j ? f[i - 1][j][u - j] : 0) + (u <= (i * (j - 1)) ? f[i][j - 1][u] : 0);
    }
  return f[n1][n2];
}

constexpr size_t exact_limit = 20;  // per sample: the exact distribution stays tiny

}  // namespace

double smallest_p(size_t n1, size_t n2) {
  if (n1 == 0 || n2 == 0) return 1;
  double orderings = 1;  // C(n1 + n2, n1)
  for (size_t k = 1; k <= n1; ++k) orderings = orderings * static_cast<double>(n2 + k) / static_cast<double>(k);
  return std::min(1.0, 2 / orderings);
}

double mann_whitney_p(const std::vector<double>& a, const std::vector<double>& b) {
  size_t n1 = a.size(), n2 = b.size(), n = n1 + n2;
  if (n1 == 0 || n2 == 0) return 1;
  std::vector<std::pair<double, int>> all;
  for (double x : a) all.push_back({x, 0});
  for (double x : b) all.push_back({x, 1});
  std::sort(all.begin(), all.end());
  double rank_sum_a = 0, tie_term = 0;
  bool ties = false;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && all[j].first == all[i].first) ++j;
    double average_rank = static_cast<double>(i + j + 1) / 2;  // ranks are 1-based
    for (size_t k = i; k < j; ++k)
      if (all[k].second == 0) rank_sum_a += average_rank;
    double t = static_cast<double>(j - i);
    tie_term += t * t * t - t;
    ties = ties || j - i > 1;
    i = j;
  }
  double u = rank_sum_a - static_cast<double>(n1 * (n1 + 1)) / 2;
  double mean = static_cast<double>(n1 * n2) / 2;
  if (!ties && n1 <= exact_limit && n2 <= exact_limit) {
    std::vector<double> counts = u_distribution(n1, n2);
    double total = 0, at_most = 0;
    auto extreme = static_cast<size_t>(std::min(u, static_cast<double>(n1 * n2) - u));
    for (size_t k = 0; k < counts.size(); ++k) {
      total += counts[k];
      if (k <= extreme) at_most += counts[k];
    }
    return std::min(1.0, 2 * at_most / total);
  }
  double nd = static_cast<double>(n);
  double variance = static_cast<double>(n1 * n2) / 12 * ((nd + 1) - tie_term / (nd * (nd - 1)));
  if (variance <= 0) return 1;
  double z = std::max(0.0, std::fabs(u - mean) - 0.5) / std::sqrt(variance);
  return std::min(1.0, std::erfc(z / std::sqrt(2.0)));
}

double relative_spread(const Summary& s) {
  if (s.median == 0) return 0;
  std::vector<double> deviations;
  for (double x : s.samples) deviations.push_back(std::fabs(x - s.median));
  return median(std::move(deviations)) / std::fabs(s.median);
}

}  // namespace allocbench
