// What the process holds in memory, read from /proc without allocating: cheap enough to
// read inside a measured phase (a workload's own figures at its phase boundaries) and
// invisible to the counting wrapper.
#pragma once

#include <cstdint>
#include <optional>

namespace allocbench {

// From /proc/self/smaps_rollup. "Held" is RSS less LazyFree: pages released with
// MADV_FREE stay in RSS until the kernel needs them, and counting them would call memory
// given back "held".
struct Footprint {
  int64_t rss = 0, lazy_free = 0, pss = 0;  // bytes
  int64_t held() const { return rss - lazy_free; }
};

std::optional<Footprint> read_footprint();  // none where smaps_rollup cannot be read

}  // namespace allocbench
