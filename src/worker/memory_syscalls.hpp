// The calls that give memory back to the system, counted and timed in the counted run:
// madvise (by advice), munmap and mremap, with their bytes and the time spent in them.
//
// The worker executable defines these three libc functions, so an allocator that calls
// them through libc (jemalloc, mimalloc, tcmalloc, the pool, a preloaded library) calls
// these, which count and forward to libc's: the same system call with the same
// arguments, so the pages returned are the same. What this cannot see: glibc's malloc
// calls its own internal __madvise and __munmap, and any allocator may issue the raw
// system call (syscall(SYS_madvise, ...)); such calls count as none. Hence the figures
// are reported only for allocators known to call through libc (docs/metrics.md).
#pragma once

#include <cstdint>

namespace allocbench::memory_syscalls {

struct Counts {
  int64_t madvise_calls = 0, madvise_bytes = 0;
  int64_t madv_dontneed_bytes = 0, madv_free_bytes = 0;  // the two advices that return memory
  int64_t munmap_calls = 0, munmap_bytes = 0;
  int64_t mremap_calls = 0;
  int64_t ns = 0;  // in all of the above
};

void set_enabled(bool on);  // off: forwarded without counting or timing
Counts snapshot();
Counts operator-(const Counts& a, const Counts& b);

}  // namespace allocbench::memory_syscalls
