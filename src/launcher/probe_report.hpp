// What the preloaded libraries (src/preload) said about one process of a program.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace allocbench {

struct MallocProvider {
  bool in_program = false;  // the executable defines malloc itself
  std::string path;         // the object that provides it
};

struct ProgramCounts {
  int64_t allocs = 0, frees = 0, bytes_allocated = 0, peak_live_bytes = 0, live_bytes_at_end = 0;
};

struct ProbeReport {
  std::optional<MallocProvider> provider;  // none: the probe never ran in that process
  bool exec_pending = false;               // an exec that no image's report followed: the probe is not in the last
  std::optional<ProgramCounts> counts;     // none: the counting library did not run, or the process skipped exit()
};

// The lines of process `pid` in the report file; a process that exec'd reported once
// per image, and the last one holds.
ProbeReport read_probe_report(const std::string& path, int pid);

}  // namespace allocbench
