// A preloadable allocator that is glibc's malloc plus a little extra work per call:
// ALLOCBENCH_TEST_SPIN=N turns an empty loop N times in every malloc, free, calloc,
// realloc and aligned allocation. It stands for an allocator release that got slower,
// with the same work done by the program and so the same checksum: the tests and
// `make bench` inject timed regressions of a known size through it
// (--backend preload:libslow_malloc.so).
#include <cstddef>
#include <cstdlib>
#include <cerrno>

extern "C" {
void* __libc_malloc(size_t);
void __libc_free(void*);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
}

namespace {

unsigned long spins = [] {
  const char* v = std::getenv("ALLOCBENCH_TEST_SPIN");
  return v ? std::strtoul(v, nullptr, 10) : 0ul;
}();

inline void spin() {
  for (unsigned long i = 0; i < spins; ++i) asm volatile("" ::: "memory");
}

}  // namespace

extern "C" {

void* malloc(size_t size) {
  spin();
  return __libc_malloc(size);
}

void free(void* p) {
  spin();
  __libc_free(p);
}

void* calloc(size_t n, size_t size) {
  spin();
  return __libc_calloc(n, size);
}

void* realloc(void* p, size_t size) {
  spin();
  return __libc_realloc(p, size);
}

void* memalign(size_t alignment, size_t size) {
  spin();
  return __libc_memalign(alignment, size);
}

void* aligned_alloc(size_t alignment, size_t size) { return memalign(alignment, size); }

int posix_memalign(void** out, size_t alignment, size_t size) {
  if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
  void* p = memalign(alignment, size);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}

}  // extern "C"
