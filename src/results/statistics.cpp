#include "results/statistics.hpp"

#include "common/error.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <tuple>
#include <numeric>

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

// ── Mann–Whitney U ───────────────────────────────────────────────────────────────

namespace {

// Ranks are doubled so that mid-ranks of ties stay integers: a tie group over sorted
// positions [i, j) has the doubled mid-rank i + 1 + j.
struct TieGroup {
  int64_t doubled_rank;
  size_t size;
};

// Exact while the work on the table of (values chosen, doubled rank sum), updated once per
// value, stays under this: tens of milliseconds at most. 20 against 20 needs about 10^6;
// the limit falls between 42 and 43 a side, and lies far higher when one side is small.
constexpr double exact_work_limit = 2e7;

double binomial(size_t n, size_t k) {
  double c = 1;
  for (size_t i = 1; i <= k; ++i) c = c * static_cast<double>(n - k + i) / static_cast<double>(i);
  return c;
}

// How many of the C(n, m) ways to choose m of the pooled values give each doubled rank sum.
std::vector<double> rank_sum_counts(const std::vector<TieGroup>& groups, size_t m, int64_t max_sum) {
  const auto width = static_cast<size_t>(max_sum + 1);
  std::vector<double> ways((m + 1) * width, 0.0);  // ways[k * width + s]
  ways[0] = 1;
  for (const TieGroup& g : groups) {
    const auto r = static_cast<size_t>(g.doubled_rank);
    for (size_t k = m; k >= 1; --k)  // descending: rows k - c are still those of the earlier groups
      for (size_t c = 1; c <= std::min(g.size, k); ++c) {
        double choose = binomial(g.size, c);
        for (size_t s = c * r; s < width; ++s) ways[k * width + s] += ways[(k - c) * width + s - c * r] * choose;
      }
  }
  return {ways.begin() + static_cast<long>(m * width), ways.end()};
}

double upper_normal_tail(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

}  // namespace

UTest mann_whitney(const std::vector<double>& a, const std::vector<double>& b, Tail tail) {
  const size_t na = a.size(), nb = b.size(), n = na + nb;
  if (na == 0 || nb == 0) return {};

  std::vector<std::pair<double, bool>> pooled;  // value, from b
  for (double x : a) pooled.emplace_back(x, false);
  for (double x : b) pooled.emplace_back(x, true);
  std::sort(pooled.begin(), pooled.end());
  std::vector<TieGroup> groups;
  std::vector<int64_t> doubled_ranks;  // of every pooled value, ascending
  int64_t b_sum = 0;
  double tie_term = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && pooled[j].first == pooled[i].first) ++j;
    auto rank = static_cast<int64_t>(i + 1 + j);
    groups.push_back({rank, j - i});
    for (size_t k = i; k < j; ++k) {
      doubled_ranks.push_back(rank);
      if (pooled[k].second) b_sum += rank;
    }
    double t = static_cast<double>(j - i);
    tie_term += t * t * t - t;
    i = j;
  }

  // The rank sum of the smaller side carries the same information (the two add up to a
  // constant) and needs the smaller table. "b greater" is a large sum for b, a small one for a.
  const bool on_b = nb <= na;
  const size_t m = on_b ? nb : na;
  const auto total = static_cast<int64_t>(n * (n + 1));
  const int64_t observed = on_b ? b_sum : total - b_sum;
  const bool upper = (tail == Tail::greater) == on_b;
  const int64_t low_end = std::accumulate(doubled_ranks.begin(), doubled_ranks.begin() + static_cast<long>(m), int64_t{0});
  const int64_t high_end = std::accumulate(doubled_ranks.end() - static_cast<long>(m), doubled_ranks.end(), int64_t{0});
  const int64_t extreme = upper ? high_end : low_end;

  UTest result;
  if (static_cast<double>(n) * static_cast<double>(m + 1) * static_cast<double>(high_end + 1) <= exact_work_limit) {
    std::vector<double> counts = rank_sum_counts(groups, m, high_end);
    double all = binomial(n, m);
    auto tail_from = [&](int64_t s) {
      double ways = 0;
      if (upper)
        for (int64_t k = s; k <= high_end; ++k) ways += counts[static_cast<size_t>(k)];
      else
        for (int64_t k = low_end; k <= s; ++k) ways += counts[static_cast<size_t>(k)];
      return std::min(1.0, ways / all);
    };
    result.p = tail_from(observed);
    result.smallest_p = tail_from(extreme);
    return result;
  }

  // Normal approximation of U for b, with the variance reduced by the ties.
  const double nd = static_cast<double>(n), mean = static_cast<double>(na) * static_cast<double>(nb) / 2;
  const double variance = static_cast<double>(na) * static_cast<double>(nb) / 12 * ((nd + 1) - tie_term / (nd * (nd - 1)));
  result.exact = false;
  if (variance <= 0) return result;  // every value equal: nothing to tell apart
  const double b_base = static_cast<double>(nb) * static_cast<double>(nb + 1) / 2;
  auto p_at = [&](int64_t side_sum) {
    int64_t b_doubled = on_b ? side_sum : total - side_sum;
    double u = static_cast<double>(b_doubled) / 2 - b_base;
    double z = tail == Tail::greater ? (u - mean - 0.5) : (mean - u - 0.5);
    return std::min(1.0, upper_normal_tail(z / std::sqrt(variance)));
  };
  result.p = p_at(observed);
  result.smallest_p = p_at(extreme);
  return result;
}

namespace {

// Exact up to 30 against 30 (about 5 million steps), the normal approximation beyond.
constexpr size_t exact_interval_pairs = 900;

// The k-th smallest and k-th largest of the pairwise differences bound the shift: k is the
// largest count with P(U < k) <= alpha under no shift (0 when even U = 0 is likelier).
size_t interval_rank(size_t na, size_t nb, double alpha) {
  const size_t pairs = na * nb;
  if (pairs <= exact_interval_pairs) {
    // U's null distribution: the rank sums of m distinct ranks out of n (either side's
    // U has the same one).
    const size_t n = na + nb, m = std::min(na, nb);
    std::vector<TieGroup> groups;
    for (size_t i = 0; i < n; ++i) groups.push_back({static_cast<int64_t>(2 * (i + 1)), 1});
    const auto low_end = static_cast<int64_t>(m * (m + 1));
    const auto high_end = static_cast<int64_t>(n * (n + 1) - (n - m) * (n - m + 1));
    std::vector<double> counts = rank_sum_counts(groups, m, high_end);
    const double all = binomial(n, m);
    double below = 0;  // P(U < k)
    size_t k = 0;
    for (int64_t sum = low_end; sum <= high_end; sum += 2) {
      below += counts[static_cast<size_t>(sum)] / all;
      if (below > alpha) break;
      ++k;
    }
    return k;
  }
  // Normal approximation: the alpha quantile of U, found by bisection on the normal tail.
  double lo = 0, hi = 40;
  for (int i = 0; i < 100; ++i) (upper_normal_tail((lo + hi) / 2) > alpha ? lo : hi) = (lo + hi) / 2;
  const double sd = std::sqrt(static_cast<double>(pairs) * static_cast<double>(na + nb + 1) / 12);
  const double k = std::floor(static_cast<double>(pairs) / 2 - hi * sd + 0.5);
  return k <= 0 ? 0 : static_cast<size_t>(k);
}

// --reps auto asks for the same few sizes at every look: each rank is computed once.
size_t cached_interval_rank(size_t na, size_t nb, double alpha) {
  static std::mutex lock;
  static std::map<std::tuple<size_t, size_t, double>, size_t> known;
  std::lock_guard<std::mutex> hold(lock);
  auto [it, added] = known.try_emplace({na, nb, alpha}, 0);
  if (added) it->second = interval_rank(na, nb, alpha);
  return it->second;
}

}  // namespace

RatioInterval ratio_interval(const std::vector<double>& a, const std::vector<double>& b, double alpha) {
  const double inf = std::numeric_limits<double>::infinity();
  const size_t k = a.empty() || b.empty() ? 0 : cached_interval_rank(a.size(), b.size(), alpha);
  if (k == 0) return {0, inf};
  std::vector<double> shifts;  // log(b_j) - log(a_i), every pair
  shifts.reserve(a.size() * b.size());
  for (double x : a)
    for (double y : b) shifts.push_back(std::log(y) - std::log(x));
  std::sort(shifts.begin(), shifts.end());
  return {std::exp(shifts[k - 1]), std::exp(shifts[shifts.size() - k])};
}

size_t samples_needed(size_t other, double alpha) {
  if (other == 0 || alpha <= 0) return 0;
  size_t n = 1;
  while (1 / binomial(other + n, other) >= alpha) ++n;  // the most extreme split: 1 of C(other + n, other)
  return n;
}

}  // namespace allocbench
