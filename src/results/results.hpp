// The results of a run: what every report shows and every baseline stores
// (schema "allocbench-results/1", DESIGN.md).
#pragma once

#include "results/statistics.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace allocbench {

inline constexpr const char* results_schema = "allocbench-results/1";

// How the timed repetitions were measured: natively with a clock, or under callgrind.
inline constexpr std::string_view measure_wall = "wall";
inline constexpr std::string_view measure_instructions = "instructions";

struct Environment {
  std::string host, cpu, kernel, compiler, build_type, allocbench_version, git_commit;
  std::string valgrind;  // with --measure instructions: its version and the simulated caches
  std::string latency_clock;  // with --latency: "tsc" (invariant, calibrated) or "clock_gettime"
  unsigned cores = 0;
};

// A backend setting (--backend NAME:KEY=VALUE): what was asked, and what the allocator
// reports in effect (none where it cannot tell).
struct SettingValue {
  std::string requested;
  std::optional<std::string> effective;
  bool operator==(const SettingValue&) const = default;
};

// Where allocations still live at the end were made (--leaks): the frames innermost
// first, each "function (file:line)"; as the worker reports them, "module+0xOFFSET",
// which the driver names.
struct LeakSite {
  int64_t bytes = 0;
  int64_t count = 0;
  std::vector<std::string> stack;
  bool operator==(const LeakSite&) const = default;
};

// run --latency: one of the slowest single calls of a latency repetition.
struct SlowCall {
  std::string call;             // a call kind (common/call_kinds.hpp)
  int64_t size = 0;             // bytes; 0: unknown (an unsized free)
  unsigned thread = 0;          // in the order the threads made their first timed call, from 0
  double ns = 0;                // the timer's cost taken off
  std::optional<bool> faulted;  // whether its thread page-faulted during it; none without perf events
  int rep = 0;                  // the latency repetition, from 1
  bool operator==(const SlowCall&) const = default;
};
inline constexpr size_t slow_calls_kept = 16;

// Memory over the measured phase of one repetition (--timeline): the counted one,
// or the first measured one when counting is off (then without live bytes).
struct Timeline {
  double interval_ms = 0;
  std::vector<double> t_ms, rss_bytes, live_bytes;
  // With --idle: what the process held (RSS less LazyFree) at the idle's moments, on the
  // same clock (ms since the phase's start).
  std::vector<double> idle_t_ms, idle_held_bytes;
  // The workload's own phase boundaries (fragmentation's), ms since the phase's start.
  std::vector<double> boundary_t_ms;
  bool operator==(const Timeline&) const = default;
};

// One backend × workload × parameters cell, summarised over its repetitions.
struct Result {
  Environment environment;  // where this entry ran: a merged baseline keeps each entry's own
  std::string backend, backend_version, malloc_provider, workload;
  std::string directory;  // a cmd: workload's working directory; empty for the others
  std::string measure{measure_wall};
  std::map<std::string, int64_t> params;
  uint64_t seed = 0;
  unsigned threads = 0;
  bool counting = true;
  std::string checksum;
  int reps = 0;
  int64_t peak_live_error_bound = 0;  // 0: exact
  bool peak_rss_reset = true;         // false: peak RSS counts from process start
  int64_t unsized_frees = 0;          // frees without a size: live bytes overstate by what they freed
  std::map<std::string, SettingValue> settings;  // of a backend with settings
  std::map<std::string, Summary> metrics;        // allocator statistics as "allocator.<stat>"
  std::map<std::string, double> stats;  // the workload's own counters, median over repetitions
  std::vector<LeakSite> leak_sites;     // from the counted repetition, with --leaks
  std::vector<SlowCall> slow_calls;     // with --latency: the slowest over its repetitions, slowest first
  Timeline timeline;                    // empty t_ms: none taken
};

struct Results {
  Environment environment;  // of the run that wrote the file
  std::vector<Result> results;
};

// "max_size=1024 ops=8000000", with `separator` between the pairs.
std::string params_text(const std::map<std::string, int64_t>& params, const char* separator = " ");

}  // namespace allocbench
