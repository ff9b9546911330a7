// The workload interface. A workload is one file in workloads/ that defines a
// WorkloadInfo, plus one line in registry.cpp.
#pragma once

#include "workloads/params.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace allocbench {

struct WorkloadConfig {
  std::string_view name;  // as selected: trace:FILE names its file
  ParamValues params;
  uint64_t seed = 1;
  unsigned threads = 1;
};

// The workload's own counters (borrows, waits, ...); unused entries have no name.
struct Stat {
  std::string_view name;
  int64_t value = 0;
};

// Holds no heap memory: it outlives the workload, and the worker's leak figure
// (live bytes after teardown) must see only what the workload left behind.
struct WorkloadOutcome {
  uint64_t ops = 0;       // operations of the measured phase, for ops/s
  uint64_t checksum = 0;  // a digest of the work done: identical on every backend and interleaving
  std::array<Stat, 4> stats{};
};

// setup() and teardown() are not measured; run() is. A workload with threads holds them
// at a barrier between phases (PhasedThreads), so phase boundaries see them quiescent.
class Workload {
 public:
  virtual ~Workload() = default;
  virtual void setup() {}
  virtual void run() = 0;
  virtual void teardown() {}
  virtual WorkloadOutcome outcome() const = 0;
  // Memory of the workload's own machinery, resident from the end of setup to teardown,
  // that the RSS figures leave out (a replay's table of operations). Asked after setup.
  virtual int64_t resident_harness_bytes() const { return 0; }
};

enum class WorkloadKind {
  standard,     // part of `--workload all`
  calibration,  // listed, run only by name (measures the harness itself)
  test,         // built only with the tests, never listed: provokes failures on purpose
  recorded,     // trace:FILE, a program's recorded allocations; runs with the program's threads
  command,      // cmd:PROGRAM ARGS, a real program (command.hpp); run by the launcher, not a worker
  profiled,     // profile:FILE, a program's allocation profile; runs with the profile's threads
};

struct WorkloadInfo {
  std::string_view name;
  std::string_view summary;
  std::vector<ParamSpec> params;
  unsigned default_threads;  // 0: every core, at least 2
  WorkloadKind kind;
  std::unique_ptr<Workload> (*make)(const WorkloadConfig&);  // none for a command
};

// Every workload compiled in, in the order reports show them.
const std::vector<const WorkloadInfo*>& all_workloads();

// Throws a usage error listing the known names when `name` is unknown. `trace:FILE`
// reads FILE (a usage error names the file and offset of what is wrong in it), as does
// `profile:FILE` (the line and field);
// `cmd:PROGRAM ARGS` finds PROGRAM.
const WorkloadInfo& find_workload(std::string_view name);

// The workload that runs the program of `cmd:PROGRAM ARGS`.
const WorkloadInfo& command_workload(std::string_view name);

// The workload that allocates as the profile `profile:FILE` describes.
const WorkloadInfo& profile_workload(std::string_view name);

// The workload that replays the trace `trace:FILE`.
const WorkloadInfo& recorded_workload(std::string_view name);

// The prepared replay (trace/prepared.hpp) that `trace:FILE` reads: the one given, in a
// worker, by the driver; else from the replay cache, prepared there if need be.
std::string prepared_replay(std::string_view name);
void use_prepared_replay(std::string_view name, std::string path);

// The thread count a run uses: `requested` when non-zero, else the workload's default;
// a recorded program's own, always; 0 for a command, whose threads are its own affair.
unsigned resolve_threads(const WorkloadInfo& info, unsigned requested, unsigned cores);

}  // namespace allocbench
