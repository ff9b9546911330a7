// The flags of `allocbench run` (and of calibrate, which takes them too).
#pragma once

#include "results/results.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace allocbench {

struct RunOptions {
  std::vector<std::string> backends{"all"};
  std::vector<std::string> workloads{"all"};
  std::string reps = "5";  // a count, or "auto": rounds until each cell's answer is clear
  int max_reps = 0;        // --reps auto's bounds: repetitions per cell (0: the default),
  std::string max_time;    // and the time after which no round starts (empty: none)
  int warmup = 1;
  unsigned threads = 0;
  std::vector<std::string> params;  // WORKLOAD.NAME=VALUE
  uint64_t seed = 1;
  std::string counting = "on";
  std::string measure{measure_wall};  // or measure_instructions: under callgrind
  double timeout_s = 300;
  std::string format = "table";
  std::string output;
  bool verbose = false;
  bool stats = false;
  bool leaks = false;
  bool timeline = false;
  double timeline_ms = 10;
  std::string max_rss, max_live;  // sizes such as 64M
  std::string idle;               // a duration: idle after each measured repetition's teardown
  bool idle_purge = false;        // and first, the allocator's own release call
  bool latency = false;           // a latency repetition beside each measured one
  bool fail_fast = false;
  bool no_cache = false;  // trace: workloads prepare into a temporary directory, not the replay cache
  std::string shard;      // K/N: run the K-th of N parts of the cells
};

// The flags of what runs: backends, workloads, repetitions, and how they are measured.
void add_run_options(CLI::App& app, RunOptions& options);

// --idle and --idle-purge: memory after the phase; --latency: the time of single calls (run only).
void add_idle_options(CLI::App& app, RunOptions& options);

// --max-reps and --max-time: the bounds of --reps auto (run only: calibrate measures noise
// at a fixed count).
void add_repetition_bounds(CLI::App& app, RunOptions& options);

// The flags of what `run` reports beyond the timings: the format, allocator statistics,
// leak sites, timelines and memory budgets (calibrate, which reports noise, has none).
void add_report_options(CLI::App& app, RunOptions& options);

}  // namespace allocbench
