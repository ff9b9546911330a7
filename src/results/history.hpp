// `allocbench history`: the results of successive commits, cell by cell and metric by
// metric, searched for the commits where a figure changed (change_points.hpp), and for
// the drift since the first point that no single change explains.
#pragma once

#include "results/change_points.hpp"
#include "results/compare.hpp"
#include "results/results.hpp"

#include <string>
#include <vector>

namespace allocbench {

// One point of the series: a commit and the results measured at it.
struct HistoryPoint {
  std::string commit;   // as the user can pass it to git
  std::string subject;  // the commit's first line, or the file's name
  Results results;
};

struct HistoryChange {
  size_t point = 0;  // into HistoryReport::points: the first commit after the change
  double before = 0, after = 0;  // medians of the segments on each side
  double change = 0;             // in the bad direction: 0.12 is 12% worse
  double p = 0;                  // 0 for a deterministic metric: it changed exactly there
  double q = 0;                  // E-Divisive's statistic of the split (change_points.hpp)
  bool regression = false;       // worse beyond the threshold
};

struct HistorySeries {
  ResultKey key;
  std::string metric;
  bool deterministic = false;
  std::vector<size_t> points;  // into HistoryReport::points, where the cell was measured
  std::vector<std::vector<double>> samples;  // at each of them
  std::vector<HistoryChange> changes;
  size_t first = 0;               // into `points`: where the series starts (work changes restart it)
  double start = 0, end = 0;      // medians of the first and the last segment
  double cumulative = 0;          // from start to end, in the bad direction
  bool drift = false;             // cumulative beyond the threshold, worse
  double threshold = 0;
  std::string note;               // why it was not analysed, or where its work changed
};

struct HistoryReport {
  std::vector<HistoryPoint> points;
  std::vector<HistorySeries> series;  // those with a change point or a drift first
  EDivisive method;
  int regressions() const;  // change points and drifts beyond the threshold, worse
};

// The fewest points a series needs: two on each side of a change.
inline constexpr size_t history_min_points = 4;

// Analyses every cell and metric of `options.metrics` found in the points.
HistoryReport analyse_history(std::vector<HistoryPoint> points, const CompareOptions& options,
                              const EDivisive& method = {});

}  // namespace allocbench
