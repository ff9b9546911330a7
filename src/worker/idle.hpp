// run --idle: after teardown, the worker sits idle and samples how much memory the
// process keeps, at log-spaced moments (0, 10 ms, 100 ms, 1 s, 10 s, ... and the end):
// what an allocator gives back to the system after a burst, and when.
//
// "Held" is RSS less LazyFree (pages released with MADV_FREE stay in RSS until the kernel
// needs them; counting them would call memory returned "held"), above what the process
// held before the workload's setup. Read from /proc/self/smaps_rollup.
#pragma once

#include "common/resident_memory.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace allocbench {

// What the process held (RSS less LazyFree, bytes) at each moment of the idle.
struct IdleCurve {
  int64_t start_ns = 0;                           // steady clock, when the idle began
  std::vector<std::pair<double, double>> held;    // ms into the idle, bytes
};

// Idles `idle_ms` after an optional purge (the allocator's own release call, timed) and
// adds the idle metrics to `metrics`, relative to `before` (the footprint before setup),
// less `harness` (the resident bytes of a replay's own tables and mapped files, which are
// the harness's, not the allocator's).
// `purge`: the call, or null without --idle-purge; it returns false where the allocator
// has none. `own_allocator`: the worker's allocator is the one in use (not a preloaded
// one), so its statistics can be read.
IdleCurve idle_and_sample(double idle_ms, bool (*purge)(), bool own_allocator, const Footprint& before,
                          int64_t harness, std::map<std::string, double>& metrics);

}  // namespace allocbench
