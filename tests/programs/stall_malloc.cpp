// A preloadable allocator that is glibc's malloc, except that every Nth malloc of each
// thread busy-waits W microseconds first, or touches F fresh pages (F page faults): a
// known tail (a lock held, a page-fault storm) of 1/N of the calls, for run --latency.
// N, W and F come from the library's file name, "libstall_malloc.every500.wait20.so" or
// "libstall_malloc.every500.faults4.so" (copies with other names are other allocators in
// one run), or ALLOCBENCH_TEST_EVERY, ALLOCBENCH_TEST_WAIT_US and ALLOCBENCH_TEST_FAULTS;
// without them it never waits.
#include "glibc_forwarding.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <ctime>

namespace {

const unsigned long every = setting(".every", "ALLOCBENCH_TEST_EVERY");
const unsigned long wait_ns = setting(".wait", "ALLOCBENCH_TEST_WAIT_US") * 1000;
const unsigned long fault_pages = setting(".faults", "ALLOCBENCH_TEST_FAULTS");
thread_local unsigned long calls = 0;

long long now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

void maybe_stall() {
  if (every == 0 || ++calls % every != 0) return;
  long long until = now_ns() + static_cast<long long>(wait_ns);
  while (now_ns() < until) {
  }
  if (fault_pages == 0) return;
  size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE)), bytes = fault_pages * page;
  void* fresh = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (fresh == MAP_FAILED) return;
  for (size_t at = 0; at < bytes; at += page) static_cast<volatile char*>(fresh)[at] = 1;  // first touch: a fault
  munmap(fresh, bytes);
}

}  // namespace

extern "C" {

void* malloc(size_t size) {
  maybe_stall();
  return __libc_malloc(size);
}

void free(void* p) { __libc_free(p); }

void* calloc(size_t n, size_t size) { return __libc_calloc(n, size); }

void* realloc(void* p, size_t size) { return __libc_realloc(p, size); }

void* memalign(size_t alignment, size_t size) { return __libc_memalign(alignment, size); }

}  // extern "C"
