#include "results/change_points.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace allocbench {
namespace {

// Sums of |x - y| over the samples of two blocks, for every pair of blocks: the
// statistic of any split of any order of the blocks adds these up.
using Distances = std::vector<std::vector<double>>;

Distances block_distances(const std::vector<std::vector<double>>& blocks) {
  Distances d(blocks.size(), std::vector<double>(blocks.size(), 0));
  for (size_t i = 0; i < blocks.size(); ++i)
    for (size_t j = i; j < blocks.size(); ++j) {
      double sum = 0;
      for (double x : blocks[i])
        for (double y : blocks[j]) sum += std::fabs(x - y);
      d[i][j] = d[j][i] = sum;
    }
  return d;
}

// Q of splitting the blocks order[a, b) at t: (m n / (m + n)) times the energy distance
// 2 E|X - Y| - E|X - X'| - E|Y - Y'|, each mean over distinct pairs.
double statistic(const Distances& d, const std::vector<size_t>& sizes, const std::vector<size_t>& order, size_t a,
                 size_t t, size_t b) {
  double cross = 0, left = 0, right = 0, m = 0, n = 0;
  for (size_t i = a; i < b; ++i) {
    (i < t ? m : n) += static_cast<double>(sizes[order[i]]);
    for (size_t j = a; j < b; ++j) {
      double s = d[order[i]][order[j]];
      if ((i < t) != (j < t)) cross += s / 2;  // each pair is met twice
      else (i < t ? left : right) += s / 2;    // within a side: distinct pairs, each met twice
    }
  }
  if (m == 0 || n == 0) return 0;
  double mean_left = m > 1 ? left / (m * (m - 1) / 2) : 0;
  double mean_right = n > 1 ? right / (n * (n - 1) / 2) : 0;
  return m * n / (m + n) * (2 * cross / (m * n) - mean_left - mean_right);
}

struct Best {
  size_t segment = 0, at = 0;
  double q = -1;
};

// The best split over every segment of `bounds` (consecutive boundaries) in `order`.
Best best_split(const Distances& d, const std::vector<size_t>& sizes, const std::vector<size_t>& order,
                const std::vector<size_t>& bounds, size_t min_blocks) {
  Best best;
  for (size_t s = 0; s + 1 < bounds.size(); ++s)
    for (size_t t = bounds[s] + min_blocks; t + min_blocks <= bounds[s + 1]; ++t) {
      double q = statistic(d, sizes, order, bounds[s], t, bounds[s + 1]);
      if (q > best.q) best = {s, t, q};
    }
  return best;
}

}  // namespace

double energy_statistic(const std::vector<std::vector<double>>& blocks, size_t at) {
  std::vector<size_t> sizes, order(blocks.size());
  for (const auto& b : blocks) sizes.push_back(b.size());
  std::iota(order.begin(), order.end(), 0);
  return statistic(block_distances(blocks), sizes, order, 0, at, blocks.size());
}

std::vector<Split> e_divisive(const std::vector<std::vector<double>>& blocks, const EDivisive& options) {
  const Distances d = block_distances(blocks);
  std::vector<size_t> sizes, order(blocks.size());
  for (const auto& b : blocks) sizes.push_back(b.size());
  std::iota(order.begin(), order.end(), 0);
  std::vector<size_t> bounds{0, blocks.size()};
  std::vector<Split> found;
  std::mt19937_64 rng(options.seed);
  for (;;) {
    Best best = best_split(d, sizes, order, bounds, options.min_blocks);
    if (best.q < 0) break;  // no segment long enough to split
    int as_large = 0;
    std::vector<size_t> shuffled = order;
    for (int r = 0; r < options.permutations; ++r) {
      for (size_t s = 0; s + 1 < bounds.size(); ++s)
        std::shuffle(shuffled.begin() + static_cast<long>(bounds[s]), shuffled.begin() + static_cast<long>(bounds[s + 1]), rng);
      as_large += best_split(d, sizes, shuffled, bounds, options.min_blocks).q >= best.q - 1e-12 * std::fabs(best.q);
    }
    double p = (as_large + 1.0) / (options.permutations + 1.0);
    if (p > options.alpha) break;
    found.push_back({best.at, best.q, p});
    bounds.insert(std::upper_bound(bounds.begin(), bounds.end(), best.at), best.at);
  }
  std::sort(found.begin(), found.end(), [](const Split& a, const Split& b) { return a.at < b.at; });
  return found;
}

}  // namespace allocbench
