// Where prepared replays (prepared.hpp) are kept: one file per trace content and format
// version, in the cache directory, so that preparing a trace is done once and every
// later run, and every worker, reads the result.
//
// The directory is $ALLOCBENCH_CACHE_DIR, else $XDG_CACHE_HOME/allocbench, else
// ~/.cache/allocbench. A file is found by the hash of the trace's bytes: an edited
// trace has another. It is checked (its hash) before each run uses it, rebuilt when
// stale or corrupt, and written under a temporary name, then renamed.
#pragma once

#include <cstdint>
#include <string>

namespace allocbench::trace {

std::string cache_directory();

// The prepared replay of a trace in `directory` (the cache, or with --no-cache a
// directory of the run's own): found there when it is there and sound, else written, and
// said so on stderr.
std::string prepared_file(const std::string& trace_path, const std::string& directory);

struct Cleared {
  uint64_t files = 0, bytes = 0;
};
// Removes every prepared replay, and temporary files a killed run left, from the cache directory.
Cleared clear_cache();

}  // namespace allocbench::trace
