#include "results/sequential.hpp"

#include "results/metrics.hpp"

#include <algorithm>
#include <map>

namespace allocbench {

std::vector<int> look_sizes(int start, int max) {
  std::vector<int> sizes{start};
  while (sizes.back() < max) sizes.push_back(std::min(sizes.back() * 2, max));
  return sizes;
}

double alpha_per_look(double alpha, size_t looks) { return alpha / static_cast<double>(std::max<size_t>(looks, 1)); }

std::string_view to_string(Answer a) {
  switch (a) {
    case Answer::different: return "different";
    case Answer::same: return "same";
    case Answer::open: return "open";
  }
  return "";
}

Answer answer(const Comparison& row) {
  bool changed = row.verdict == Verdict::regression || row.verdict == Verdict::improvement;
  // More repetitions can settle a tested row, or one whose samples are still too few (its
  // verdict is the threshold's alone, unconfirmed), unless the counted run, which runs
  // once, gave them. Other rows are answered by their kind.
  const MetricInfo* m = find_metric(row.metric);
  bool more_samples = !m || m->source != Source::counted;
  bool testable = (row.evidence == Evidence::tested || row.evidence == Evidence::too_few_samples) && more_samples;
  if (!testable) return changed ? Answer::different : Answer::same;
  if (changed && row.evidence == Evidence::tested) return Answer::different;
  if (row.direction == Direction::same || row.within_threshold) return Answer::same;
  return Answer::open;
}

void close_open_rows(CompareReport& report) {
  for (Comparison& row : report.rows)
    if (answer(row) == Answer::open) row.verdict = Verdict::inconclusive;
}

std::vector<Rank> rank_backends(const Results& results, double alpha, double margin) {
  std::map<std::string, std::vector<const Result*>> by_workload;
  for (const Result& r : results.results)
    if (r.metrics.count("wall_ns")) by_workload[r.workload].push_back(&r);
  std::vector<Rank> ranks;
  for (auto& [workload, rows] : by_workload) {
    auto time = [](const Result* r) { return r->metrics.at("wall_ns").median; };
    std::stable_sort(rows.begin(), rows.end(), [&](const Result* a, const Result* b) { return time(a) < time(b); });
    const Summary& best = rows.front()->metrics.at("wall_ns");
    size_t first = ranks.size();
    bool any_open = false;
    for (const Result* r : rows) {
      const Summary& s = r->metrics.at("wall_ns");
      Rank rank{workload, r->backend, rows.front()->backend, s.samples.size(), best.median > 0 ? s.median / best.median : 1};
      if (r == rows.front()) {
        rank.is_fastest = true;
      } else {
        rank.p = mann_whitney(best.samples, s.samples, Tail::greater).p;
        rank.interval = ratio_interval(best.samples, s.samples, alpha);
        bool within = rank.interval.low * (1 + margin) >= 1 && rank.interval.high <= 1 + margin;
        rank.answer = rank.p < alpha ? Answer::different : within ? Answer::same : Answer::open;
        any_open = any_open || rank.answer == Answer::open;
      }
      ranks.push_back(rank);
    }
    if (any_open) ranks[first].answer = Answer::open;
  }
  return ranks;
}

}  // namespace allocbench
