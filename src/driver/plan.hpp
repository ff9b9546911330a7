// The plan of a run: which cells (backend × workload × parameters) run, and the jobs
// (one worker process each) in the order they run.
#pragma once

#include "driver/backends.hpp"
#include "driver/callgrind.hpp"
#include "driver/command_jobs.hpp"
#include "driver/run_options.hpp"
#include "results/budget.hpp"
#include "workloads/workload.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace allocbench {

// A backend × workload × parameters combination, run `reps` times.
struct Cell {
  BackendSpec backend;
  const WorkloadInfo* workload;
  ParamValues params;
  unsigned threads;              // a trace's: 0 until prepared
  std::string prepared;          // a trace's prepared replay, once prepared
  std::optional<Launch> launch;  // a cmd: workload's, once prepared: the launcher runs it, not a worker
};

// What a repetition is for. Times never come from a counted repetition: the counting
// wrapper would inflate them. The byte and allocation counts are deterministic, so one
// counted repetition per cell gives them all; it also serves as the first warm-up.
enum class JobKind {
  counted,   // with the counting wrapper: memory figures only
  warmup,    // discarded
  measured,  // uncounted: times, RSS, faults
  latency,   // uncounted, every allocator call timed (--latency): one beside each measured one
};

// One worker process. Rounds are interleaved: round 1 of every cell, then round 2, …
struct Job {
  size_t cell;
  int round;   // 0-based
  JobKind kind;
  int index;   // 1-based among jobs of its kind for this cell
  int look = 1;  // --reps auto: the look (round of answers) it is measured for
};

struct Plan {
  std::string measure;                  // how measured repetitions are measured
  std::optional<Callgrind> callgrind;   // with --measure instructions, once prepared
  std::vector<Cell> cells;
  std::vector<Job> jobs;
  int reps;  // with --reps auto, the first look's
  int warmup;
  uint64_t seed;
  bool counting;
  std::chrono::milliseconds timeout;
  bool fail_fast;
  bool leaks;  // the counted repetition records leak sites
  double timeline_ms = 0;  // 0: no timeline; else the observed repetition samples this often
  Budgets budgets;
  bool auto_reps = false;  // --reps auto: more rounds for the cells still open (sequential.hpp)
  int max_reps = 0;        // with auto: at most this many a cell
  double max_time_s = 0;   // with auto: no round starts after this (0: no limit)
  double idle_ms = 0;      // --idle: measured repetitions idle this long after teardown
  bool idle_purge = false;
  bool latency = false;    // --latency: latency repetitions time every allocator call
};

// The repetition whose memory is watched over time: the counted one, or the first
// measured one when counting is off or the workload is a program (whose counted run
// holds the counting library's tables).
bool observed(const Plan& plan, const Job& job);

// Checks every flag (usage errors name the flag and what was expected) and lays out the
// cells and jobs. Pure: starts no process and writes no file (preparation.hpp does, next).
Plan make_plan(const RunOptions& options);

// Measured repetitions (each with its latency repetition under --latency) that bring each of
// `cells` from `have[cell]` to `target`, interleaved as in any run; numbered after those
// they already have.
std::vector<Job> more_repetitions(const Plan& plan, const std::vector<size_t>& cells, const std::vector<int>& have,
                                  int target, int look);

// The worker (or launcher) command line of one job.
std::vector<std::string> worker_argv(const Plan& plan, const Job& job);

}  // namespace allocbench
