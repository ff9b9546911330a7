// The workload interface. A workload is one file in workloads/ that defines a
// WorkloadInfo, plus one line in registry.cpp.
#pragma once

#include "workloads/params.hpp"

#include <array>
#include <map>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace allocbench {

// What the process holds at a workload's own boundary: its memory (RSS less LazyFree, -1
// where unreadable), and the allocator's own view, what it holds resident (or mapped,
// where it knows no more) and what the program has allocated from it (0 where it does not
// say).
struct BoundaryView {
  int64_t held = -1;
  int64_t resident = 0, allocated = 0;
};

struct WorkloadConfig {
  std::string_view name;  // as selected: trace:FILE names its file
  ParamValues params;
  uint64_t seed = 1;
  unsigned threads = 1;
  std::string prepared;   // trace:FILE: its prepared replay (trace/replay_cache.hpp)
  // A workload with phases of its own calls this at each boundary (from one thread): the
  // worker marks the moment on the timeline, reads what is held, and leaves the time it
  // took out of the phase's. Empty where no one listens (unit tests).
  std::function<BoundaryView()> at_boundary;
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
  std::array<Stat, 8> stats{};
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
  example,      // built only with the tests, listed only to them: a well-behaved workload that
                // proves the generic tests pick up a workload added in one file
  faulty,       // built only with the tests, never listed: provokes failures on purpose
  trace,        // trace:FILE, a program's recorded allocations; runs with the program's threads
  command,      // cmd:PROGRAM ARGS, a real program (command.hpp); run by the launcher, not a worker
  profile,      // profile:FILE, a program's allocation profile; runs with the profile's threads
};

std::string_view to_string(WorkloadKind kind);

struct WorkloadInfo {
  std::string_view name;
  std::string_view summary;
  std::vector<ParamSpec> params;
  unsigned default_threads;  // 0: every core, at least 2
  WorkloadKind kind;
  std::unique_ptr<Workload> (*make)(const WorkloadConfig&);  // none for a command
  // Small parameters that still do real work, for the tests (which run every workload
  // of the registry with them) and for quick runs.
  std::map<std::string, std::string> small_params = {};
};

// Every workload compiled in, in the order reports show them.
const std::vector<const WorkloadInfo*>& all_workloads();

// Throws a usage error listing the known names when `name` is unknown. `trace:FILE`
// checks that FILE can be read (preparing it for replay is the driver's step, after the
// plan); `profile:FILE` reads FILE (a usage error names its line and field);
// `cmd:PROGRAM ARGS` finds PROGRAM.
const WorkloadInfo& find_workload(std::string_view name);

// The workload that runs the program of `cmd:PROGRAM ARGS`.
const WorkloadInfo& command_workload(std::string_view name);

// The workload that allocates as the profile `profile:FILE` describes.
const WorkloadInfo& profile_workload(std::string_view name);

// The workload that replays the trace `trace:FILE`, and the file's path.
const WorkloadInfo& trace_workload(std::string_view name);
std::string trace_path(std::string_view name);

// The thread count a run uses: `requested` when non-zero, else the workload's default; a
// profiled program's own, always; 0 for a trace, whose program's own count is read when
// it is prepared, and for a command, whose threads are its own affair.
unsigned resolve_threads(const WorkloadInfo& info, unsigned requested, unsigned cores);

}  // namespace allocbench
