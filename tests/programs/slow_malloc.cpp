// A preloadable allocator that is glibc's malloc plus a little extra work per call:
// ALLOCBENCH_TEST_SPIN=N (or .spinN. in the library's file name) runs a chain of N dependent additions before every malloc,
// free, calloc, realloc and aligned allocation, and the call waits for its result, so
// each turn costs the same few cycles whatever else is in flight. It stands for an allocator release that got slower,
// with the same work done by the program and so the same checksum: the tests and
// `make bench` inject timed regressions of a known size through it
// (--backend preload:libslow_malloc.so).
#include "glibc_forwarding.hpp"

#include <bit>
#include <cstdint>

namespace {

// A copy of the library named with ".spinN." (libslow_malloc.spin40.so) turns N times
// whatever the variable says: two copies are two allocators of different speeds in one run.
const unsigned long spins = setting(".spin", "ALLOCBENCH_TEST_SPIN");

// Returns `x` unchanged, but only once the chain is done: the caller's call depends on it.
template <typename T>
inline T spin(T x) {
  static_assert(sizeof(T) == sizeof(uint64_t));
  uint64_t chain = std::bit_cast<uint64_t>(x) | 2;  // from the argument: it cannot run ahead of the caller
  for (unsigned long i = 0; i < spins; ++i) {
    asm volatile("" : "+r"(chain));  // opaque: each addition waits for the one before
    chain += 2;
  }
  return chain == 1 ? T{} : x;  // never 1 (it starts at 2 or more and grows); the compiler cannot tell
}

}  // namespace

extern "C" {

void* malloc(size_t size) { return __libc_malloc(spin(size)); }

void free(void* p) { __libc_free(spin(p)); }

void* calloc(size_t n, size_t size) { return __libc_calloc(n, spin(size)); }

void* realloc(void* p, size_t size) { return __libc_realloc(p, spin(size)); }

void* memalign(size_t alignment, size_t size) { return __libc_memalign(alignment, spin(size)); }

}  // extern "C"
