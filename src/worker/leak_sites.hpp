// Where the allocations still live at the end come from (--leaks): the counting
// wrapper records a backtrace per allocation while recording is on, and forgets it
// when the allocation is freed. Its own memory comes from mmap, never from the
// allocator under test, so it changes neither the counts nor the allocator's state.
// Costly (one backtrace per allocation): only the counted, untimed repetition records.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace allocbench::leak_sites {

extern std::atomic<bool> recording_flag;
inline bool recording() { return recording_flag.load(std::memory_order_relaxed); }

void start();  // call while no other thread allocates
void stop();
void on_alloc(void* p, size_t n);
void on_free(void* p);

// A return address as the shared object it lies in and its offset there, for a
// symboliser (addr2line) to name later.
struct Frame {
  std::string module;
  uintptr_t offset;
};
struct Site {
  int64_t bytes = 0;
  int64_t count = 0;
  std::vector<Frame> frames;  // innermost first
};

// The call sites of the allocations still recorded, most bytes first, at most `top`.
std::vector<Site> live_sites(size_t top);

}  // namespace allocbench::leak_sites
