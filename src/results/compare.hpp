// Verdicts: current results against a baseline (or against a reference backend of the
// same run), per entry × metric. Every verdict is a typed value; reports word it.
//
// Deterministic metrics (counts, bytes, one thread's instructions) regress when they change
// by more than the threshold. Timed metrics regress only when the change of the best
// repetition (min, or max for ops/s) exceeds the threshold *and* a one-sided Mann–Whitney
// U test in the bad direction confirms it (p < alpha); when the repetitions as a whole
// significantly moved the other way, the median decides instead. Entries are compared only
// when their keys (backend, workload, measure, parameters, seed, threads) and their
// checksums (the work done) agree.
#pragma once

#include "results/baseline.hpp"
#include "results/results.hpp"
#include "results/statistics.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace allocbench {

struct Thresholds {
  double all = 0.05;                     // a fraction: 0.05 is 5%
  std::map<std::string, double> metric;  // overrides
  double of(const std::string& name) const;
};

// The metrics gated unless --metric says otherwise: time, and every kind of memory.
const std::vector<std::string>& default_gated_metrics();

struct CompareOptions {
  Thresholds thresholds;
  std::vector<std::string> metrics = default_gated_metrics();  // judged where both sides have them
  bool metrics_given = false;  // by --metric: a metric no entry has is then worth a note
  bool ignore_env = false;
  double alpha = 0.05;  // of each look
  size_t looks = 1;     // --reps auto: looks at the same data, alpha each (sequential.hpp)
};

// inconclusive: with --reps auto, a timed change neither confirmed nor ruled out within the
// bounds on repetitions (sequential.hpp).
enum class Verdict { regression, improvement, unchanged, inconclusive, added, missing, not_comparable };
std::string_view to_string(Verdict v);

// What a verdict rests on.
enum class Evidence {
  deterministic,      // a noise-free metric: the change alone decides
  tested,             // a timed metric, judged with the one-sided U test
  too_few_samples,    // a timed metric whose samples can never reach alpha: not gated
  other_environment,  // a metric from an environment that measures it otherwise: not gated
  bounded,            // one sample a side, exact to within an error bound (peak live bytes of threads)
  entry,              // a whole entry: on one side only, or not comparable
};
std::string_view to_string(Evidence e);

// The figure compared: the median of a deterministic metric, the best repetition of a timed one.
enum class Estimator { median, min, max };
std::string_view to_string(Estimator e);

// Of the estimator's change: worse is the metric's bad direction.
enum class Direction { worse, better, same };
std::string_view to_string(Direction d);

struct Comparison {
  ResultKey key;
  std::string metric;  // empty for a whole entry (added, missing, not comparable)
  Estimator estimator = Estimator::median;
  size_t baseline_samples = 0, current_samples = 0;
  double baseline = 0, current = 0;  // the estimator on each side
  double change = 0;                 // in the bad direction: 0.12 is 12% worse; infinite from 0
  Direction direction = Direction::same;
  double threshold = 0;
  Evidence evidence = Evidence::entry;
  double bound = 0;  // bounded: the difference the two error bounds allow
  // The one-sided U test in the direction of the change (timed metrics only).
  bool tested = false;
  bool exact = true;  // p from the exact distribution, not the normal approximation
  double p = 1;
  double smallest_p = 1;      // the smallest p these samples could give in that direction
  bool significant = false;   // p < alpha
  bool contradicted = false;  // the best repetition moved against the samples: the median decided
  // Of the typical current / baseline ratio, each bound wrong with probability alpha at most;
  // within_threshold: it rules out a change beyond the threshold either way.
  RatioInterval interval;
  bool within_threshold = false;
  Verdict verdict = Verdict::unchanged;
  bool gated = true;                          // false: shown, but not counted in the exit code
  std::string baseline_checksum, current_checksum;  // entries that are not comparable
};

// A field of the environment that differs between a baseline entry and the current one.
struct EnvironmentChange {
  std::string field, baseline, current;
  bool stops_timed;      // cpu, cores, compiler, build type: timed metrics are not gated across it
  bool stops_simulated;  // compiler, build type, valgrind: nor are instruction counts
  bool operator==(const EnvironmentChange&) const = default;
};

struct VersionChange {
  std::string backend, baseline, current;
  bool operator==(const VersionChange&) const = default;
};

enum class Against { baseline, reference };

struct CompareReport {
  Against against = Against::baseline;
  std::string against_name;  // the baseline's file, or the reference backend
  double alpha = 0.05;
  size_t looks = 1;  // --reps auto: alpha is the run's alpha split over this many looks
  bool ignore_env = false;
  std::vector<EnvironmentChange> environment_changes;  // each once
  std::vector<VersionChange> version_changes;
  std::vector<std::string> unmeasured_metrics;  // asked for, but in no entry on either side
  std::vector<Comparison> rows;                 // not comparable first, then regressions
  size_t matched = 0;                                  // entries with a counterpart

  int regressions() const;     // gated ones
  int inconclusive() const;
  int not_comparable() const;  // entries
  int judged() const;          // metrics measured on both sides of a matched entry
};

// The estimator of one metric of one entry.
struct Estimate {
  double value;
  Estimator kind;
};
Estimate estimate(const Result& r, const std::string& metric);

// One metric of one entry, `current` against `base` (the same key). `same_environment`:
// false when what measured this metric differs between them (another CPU for a timed
// metric, another valgrind for a simulated one, another allocator version for either).
Comparison judge(const Result& base, const Result& current, const std::string& metric, const CompareOptions& options,
                 bool same_environment = true);

CompareReport compare_results(const Results& current, const Results& baseline, const CompareOptions& options,
                              std::string baseline_name);

// Every other backend of `run` against `reference`, entry by entry (same workload,
// parameters, seed and threads).
CompareReport compare_to_reference(const Results& run, const std::string& reference, const CompareOptions& options);

}  // namespace allocbench
