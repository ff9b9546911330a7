// The metrics every repetition reports, with their unit, their good direction, where
// they come from and whether they are deterministic (free of noise, so compared exactly).
#pragma once

#include <array>
#include <string_view>
#include <vector>

namespace allocbench {

enum class Better { lower, higher };

// Where a metric is measured.
enum class Source {
  timed,      // the uncounted repetitions, run natively
  counted,    // the counted repetition: present only with --counting on
  simulated,  // the repetitions run under callgrind (--measure instructions)
  idle,       // the uncounted repetitions' idle after their teardown (run --idle): only with it
  latency,    // the latency repetitions, one beside each measured one (run --latency): only with it
};

enum class Determinism {
  always,           // the same on every repetition
  single_threaded,  // the same on every repetition of one thread; threads interleave differently
  never,            // noisy: judged with the U test
};

struct MetricInfo {
  std::string_view name;
  std::string_view unit;
  Better better;
  Determinism determinism;
  Source source;
  std::string_view meaning;
  bool where_seen = false;  // reported only where it can be measured (not every backend)
};

// In the order reports list them.
const std::vector<MetricInfo>& metric_table();

// The allocators' own statistics are metrics too, named "allocator.<stat>" (e.g.
// allocator.resident_bytes): bytes, lower is better, read once per repetition.
inline constexpr std::string_view allocator_stat_prefix = "allocator.";

// run --latency by size band (common/call_kinds.hpp), outside the table: KIND_BAND_FIGURE,
// e.g. free_le_64_p99_ns, for each of these figures.
inline constexpr std::array<std::string_view, 5> band_figures{"calls_timed", "p50_ns", "p99_ns", "p999_ns", "max_ns"};

// nullptr for a name neither in the table nor an allocator statistic nor a band figure.
const MetricInfo* find_metric(std::string_view name);

// Whether a metric of an entry run on `threads` threads is free of noise, so compared
// exactly on the threshold alone.
bool deterministic(const MetricInfo& m, unsigned threads);

// The moments of run --idle at which the memory kept is sampled, with their metric and
// how reports name them; the end of the idle is rss_after_idle_bytes.
struct IdleMoment {
  double ms;
  std::string_view metric;
  std::string_view label;
};
inline constexpr std::array<IdleMoment, 6> idle_moments{{{0, "held_at_end_bytes", "after teardown"},
                                                         {10, "held_after_10ms_bytes", "10 ms"},
                                                         {100, "held_after_100ms_bytes", "100 ms"},
                                                         {1000, "held_after_1s_bytes", "1 s"},
                                                         {10000, "held_after_10s_bytes", "10 s"},
                                                         {100000, "held_after_100s_bytes", "100 s"}}};

// The change from `baseline` to `current` in the metric's bad direction: 0.12 is 12% worse,
// -0.1 is 10% better (a rate's change is taken on its inverse); infinite from 0.
double bad_change(const MetricInfo& m, double baseline, double current);

}  // namespace allocbench
