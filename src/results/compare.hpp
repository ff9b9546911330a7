// Verdicts: current results against a baseline (or against a reference backend of the
// same run), per backend × workload × metric.
//
// Deterministic metrics (counts, bytes) regress when they change by more than the
// threshold. Timed metrics regress only when the change exceeds the threshold *and* a
// Mann–Whitney U test says the samples differ (p < alpha). Their estimator is the best
// repetition (min, or max for ops/s): on this kind of machine it drifts less than the
// median between runs, so it raises fewer false alarms at the same threshold.
#pragma once

#include "results/results.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace allocbench {

struct Thresholds {
  double all = 0.05;                       // a fraction: 0.05 is 5%
  std::map<std::string, double> metric;    // overrides
  double of(const std::string& name) const;
};

// "10", "wall_ns=15,peak_live_bytes=0" or both ("5,wall_ns=10"), in percent.
Thresholds parse_thresholds(const std::string& text);

// The metrics gated unless --metric says otherwise: time, and every kind of memory.
const std::vector<std::string>& default_gated_metrics();
// "all", or a comma-separated list of metric names.
std::vector<std::string> parse_metric_list(const std::string& text);

struct CompareOptions {
  Thresholds thresholds;
  std::vector<std::string> metrics = default_gated_metrics();
  bool ignore_env = false;
  double alpha = 0.05;
};

enum class Verdict { regression, improvement, unchanged, added, missing };
std::string_view to_string(Verdict v);

struct Comparison {
  std::string backend, workload, params;  // params as "k=v k=v"
  std::string metric;                     // empty when the whole entry is added or missing
  std::string estimator;                  // "min of 5", "median of 5"
  double baseline = 0, current = 0;       // the estimator on each side
  double change = 0;                      // in the bad direction: 0.12 is 12% worse
  double threshold = 0;
  std::string evidence;                   // "p = 0.008", "deterministic", "too few samples …"
  double p_value = -1;                    // of the U test, when one was made
  Verdict verdict = Verdict::unchanged;
  bool gated = true;                      // false: shown, but not counted in the exit code
};

struct CompareReport {
  std::string against;                 // "baseline 'b.json'", "reference backend 'mimalloc'"
  std::vector<std::string> notes;      // differences of environment or work, shown first
  std::vector<Comparison> rows;        // regressions first
  double alpha = 0.05;
  int regressions() const;             // gated ones
};

// The figure a verdict compares for one metric of one entry: the median of a
// deterministic metric, the best repetition of a timed one. `name` says which.
struct Estimate {
  double value;
  std::string name;  // "median", "min of 5", "max of 5"
};
Estimate estimate(const Result& r, const std::string& metric);

// One metric of one entry, `current` against `base` (same backend and workload).
Comparison judge(const Result& base, const Result& current, const std::string& metric, const CompareOptions& options,
                 bool timed_gated = true);

CompareReport compare_results(const Results& current, const Results& baseline, const CompareOptions& options,
                              std::string against);

// Every other backend of `run` against `reference`, workload by workload.
CompareReport compare_to_reference(const Results& run, const std::string& reference, const CompareOptions& options);

}  // namespace allocbench
