#include "results/history.hpp"

#include "results/metrics.hpp"
#include "results/statistics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace allocbench {

int HistoryReport::regressions() const {
  int n = 0;
  for (const auto& s : series) {
    n += s.drift;
    for (const auto& c : s.changes) n += c.regression;
  }
  return n;
}

namespace {

double pooled_median(const std::vector<std::vector<double>>& blocks, size_t from, size_t to) {
  std::vector<double> all;
  for (size_t i = from; i < to; ++i) all.insert(all.end(), blocks[i].begin(), blocks[i].end());
  return median(all);
}

// The first blocks whose value differs from the one before: a deterministic metric
// changes exactly there.
std::vector<Split> exact_changes(const std::vector<std::vector<double>>& blocks) {
  std::vector<Split> out;
  for (size_t i = 1; i < blocks.size(); ++i)
    if (median(blocks[i]) != median(blocks[i - 1])) out.push_back({i, 0, 0});
  return out;
}

bool same_environment(const MetricInfo& m, const Environment& a, const Environment& b) {
  if (m.source == Source::simulated)
    return std::tie(a.build_type, a.compiler, a.valgrind) == std::tie(b.build_type, b.compiler, b.valgrind);
  return std::tie(a.cpu, a.cores, a.build_type, a.compiler) == std::tie(b.cpu, b.cores, b.build_type, b.compiler);
}

void analyse(HistorySeries& s, const std::vector<HistoryPoint>& points, const std::vector<const Result*>& entries,
             const CompareOptions& options, const EDivisive& method) {
  const MetricInfo& m = *find_metric(s.metric);
  s.deterministic = deterministic(m, s.key.threads);
  s.threshold = options.thresholds.of(s.metric);
  // Other work (another checksum) cannot be compared with the work before it: the
  // series starts again where the work changed.
  for (size_t i = 1; i < entries.size(); ++i)
    if (entries[i]->checksum != entries[i - 1]->checksum) {
      s.first = i;
      s.note = "the work changed at " + points[s.points[i]].commit + " (another checksum): counted from there";
    }
  // As the gate: timed figures need one machine and build; instruction counts one build
  // and valgrind; counts of allocations need nothing.
  if (!options.ignore_env && m.source != Source::counted)
    for (size_t i = s.first + 1; i < entries.size(); ++i)
      if (!same_environment(m, entries[i]->environment, entries[s.first]->environment)) {
        s.note = "measured on other machines, builds or valgrinds along the way: not analysed (--ignore-env analyses "
                 "it anyway)";
        return;
      }
  std::vector<std::vector<double>> blocks(s.samples.begin() + static_cast<long>(s.first), s.samples.end());
  if (blocks.size() < history_min_points) {
    if (s.note.empty()) s.note = "fewer than 4 points: not analysed";
    return;
  }
  if (!s.deterministic) {
    // Shuffling n commits' blocks puts a given t of them on one side in 1 of C(n, t) ways:
    // a split with fewer than `reach` commits on a side can never reach p <= alpha.
    size_t n = blocks.size(), reach = method.min_blocks;
    auto ways = [&](size_t t) {
      double c = 1;
      for (size_t i = 1; i <= t; ++i) c = c * static_cast<double>(n - t + i) / static_cast<double>(i);
      return c;
    };
    while (reach <= n / 2 && 2 / ways(reach) > method.alpha) ++reach;
    std::string limit = reach > n / 2 ? fmt::format("{} commits are too few for a timed change point at p <= {}", n, method.alpha)
                        : reach > method.min_blocks
                            ? fmt::format("a timed change in the first or last {} of these {} commits cannot be told from "
                                          "noise (it needs {} commits on each side); the gate judges the newest",
                                          reach - 1, n, reach)
                            : "";
    if (!limit.empty()) s.note += (s.note.empty() ? "" : "; ") + limit;
  }
  std::vector<Split> splits = s.deterministic ? exact_changes(blocks) : e_divisive(blocks, method);
  std::vector<size_t> bounds{0};
  for (const auto& split : splits) bounds.push_back(split.at);
  bounds.push_back(blocks.size());
  for (size_t i = 0; i < splits.size(); ++i) {
    HistoryChange c;
    c.point = s.points[s.first + splits[i].at];
    c.before = pooled_median(blocks, bounds[i], bounds[i + 1]);
    c.after = pooled_median(blocks, bounds[i + 1], bounds[i + 2]);
    c.change = bad_change(m, c.before, c.after);
    c.p = splits[i].p;
    c.q = splits[i].q;
    c.regression = c.change > s.threshold;
    s.changes.push_back(c);
  }
  s.start = pooled_median(blocks, bounds[0], bounds[1]);
  s.end = pooled_median(blocks, bounds[bounds.size() - 2], bounds.back());
  s.cumulative = bad_change(m, s.start, s.end);
  // A drift: worse beyond the threshold overall, though no single change explains it.
  s.drift = s.cumulative > s.threshold && std::none_of(s.changes.begin(), s.changes.end(),
                                                       [](const HistoryChange& c) { return c.regression; });
}

}  // namespace

HistoryReport analyse_history(std::vector<HistoryPoint> points, const CompareOptions& options, const EDivisive& method) {
  HistoryReport report;
  report.points = std::move(points);
  report.method = method;
  // Every cell × metric, in the order they first appear.
  std::vector<std::pair<ResultKey, std::string>> order;
  std::map<std::pair<ResultKey, std::string>, std::vector<const Result*>> entries;
  std::map<std::pair<ResultKey, std::string>, std::vector<size_t>> where;
  for (size_t p = 0; p < report.points.size(); ++p)
    for (const Result& r : report.points[p].results.results)
      for (const auto& metric : options.metrics) {
        if (!r.metrics.count(metric)) continue;
        auto id = std::make_pair(key_of(r), metric);
        if (!entries.count(id)) order.push_back(id);
        entries[id].push_back(&r);
        where[id].push_back(p);
      }
  for (const auto& id : order) {
    HistorySeries s;
    s.key = id.first;
    s.metric = id.second;
    s.points = where[id];
    for (const Result* r : entries[id]) s.samples.push_back(r->metrics.at(s.metric).samples);
    analyse(s, report.points, entries[id], options, method);
    report.series.push_back(std::move(s));
  }
  std::stable_sort(report.series.begin(), report.series.end(), [](const HistorySeries& a, const HistorySeries& b) {
    auto rank = [](const HistorySeries& s) {
      bool bad = s.drift || std::any_of(s.changes.begin(), s.changes.end(), [](auto& c) { return c.regression; });
      return bad ? 0 : !s.changes.empty() ? 1 : 2;
    };
    return rank(a) < rank(b);
  });
  return report;
}

}  // namespace allocbench
