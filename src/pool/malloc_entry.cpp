// liballocbench-pool.so: a program's malloc family, served by the pool (pool.hpp), and
// what the pool leaves to glibc through glibc's own entry points (__libc_malloc, ...).
// Settings are read at the first call from ALLOCBENCH_POOL_MAX_CLASS,
// ALLOCBENCH_POOL_CHUNK_BYTES and ALLOCBENCH_POOL_THREAD_CACHE; a bad value is reported on
// stderr and the default kept. Built without the C++ runtime, like src/preload.
#include "pool/pool.hpp"

#include <dlfcn.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void __libc_free(void*);
}

namespace allocbench::pool {
namespace {

size_t (*glibc_usable_size)(void*) = nullptr;
size_t usable_size_in_glibc(void* p) { return glibc_usable_size ? glibc_usable_size(p) : 0; }

void say(const char* text) {
  ssize_t ignored = ::write(STDERR_FILENO, text, std::strlen(text));
  (void)ignored;
}

size_t setting(const char* variable, size_t value, size_t low, size_t high, size_t multiple_of) {
  const char* text = std::getenv(variable);
  if (!text || !*text) return value;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(text, &end, 10);
  if (errno || *end || *text == '-' || v < low || v > high || v % multiple_of) {
    say("allocbench pool: ignoring ");
    say(variable);
    say("=");
    say(text);
    say(": out of range (see `allocbench list`); the default is kept\n");
    return value;
  }
  return v;
}

Settings settings_from_environment() {
  Settings s;
  s.max_class = setting("ALLOCBENCH_POOL_MAX_CLASS", s.max_class, smallest_class, largest_max_class, class_step);
  s.chunk_bytes = setting("ALLOCBENCH_POOL_CHUNK_BYTES", s.chunk_bytes, chunk_granule, largest_chunk, chunk_granule);
  s.thread_cache = setting("ALLOCBENCH_POOL_THREAD_CACHE", s.thread_cache, 0, largest_thread_cache, 1);
  return s;
}

enum Start : int { not_started, starting, ready };
constinit std::atomic<int> start_state{not_started};
constinit thread_local bool this_thread_starts __attribute__((tls_model("initial-exec"))) = false;

// Whether the pool serves this call: false while it starts on this thread (dlsym may
// allocate: glibc serves that). A pool that cannot start stops the program rather than
// let glibc pass for it.
__attribute__((noinline)) bool start() {
  int expected = not_started;
  if (start_state.compare_exchange_strong(expected, starting, std::memory_order_acquire)) {
    this_thread_starts = true;
    int saved = errno;
    glibc_usable_size = reinterpret_cast<size_t (*)(void*)>(::dlsym(RTLD_NEXT, "malloc_usable_size"));
    bool ok = init(settings_from_environment(),
                   {__libc_malloc, __libc_calloc, __libc_realloc, __libc_memalign, __libc_free, usable_size_in_glibc});
    if (!ok) {
      say("allocbench pool: cannot start: no 1 GiB of address space for its chunks (is `ulimit -v` set?), or no "
          "thread key or fork handler left\n");
      std::abort();
    }
    errno = saved;
    this_thread_starts = false;
    start_state.store(ready, std::memory_order_release);
    return true;
  }
  if (this_thread_starts) return false;
  // (A child forked while another thread starts the pool would wait here for good; the
  // pool starts at a program's first allocation, before it has threads to fork from.)
  while (start_state.load(std::memory_order_acquire) == starting) ::sched_yield();
  return true;
}

inline bool serving() { return start_state.load(std::memory_order_acquire) == ready || start(); }

bool power_of_two(size_t n) { return n && !(n & (n - 1)); }

}  // namespace

ALLOCBENCH_POOL_EXPORT const char* version() { return ALLOCBENCH_POOL_VERSION; }

}  // namespace allocbench::pool

using namespace allocbench;

#define EXPORT extern "C" ALLOCBENCH_POOL_EXPORT

EXPORT void* malloc(size_t size) { return pool::serving() ? pool::allocate(size) : __libc_malloc(size); }

EXPORT void free(void* p) {
  if (!p) return;
  // Before the pool serves, nothing is the pool's.
  if (pool::serving()) return pool::release(p);
  __libc_free(p);
}

EXPORT void* calloc(size_t count, size_t size) {
  return pool::serving() ? pool::allocate_zeroed(count, size) : __libc_calloc(count, size);
}

EXPORT void* realloc(void* p, size_t size) {
  return pool::serving() ? pool::reallocate(p, size) : __libc_realloc(p, size);
}

EXPORT void* reallocarray(void* p, size_t count, size_t size) {
  size_t bytes = 0;
  if (__builtin_mul_overflow(count, size, &bytes)) {
    errno = ENOMEM;
    return nullptr;
  }
  return realloc(p, bytes);
}

// glibc's memalign takes any alignment and rounds it up to a power of two.
EXPORT void* memalign(size_t alignment, size_t size) {
  if (alignment == 0) {
    alignment = 1;
  } else if (!pool::power_of_two(alignment)) {
    if (alignment > SIZE_MAX / 2 + 1) {
      errno = EINVAL;
      return nullptr;
    }
    alignment = size_t{1} << (64 - __builtin_clzll(alignment));
  }
  return pool::serving() ? pool::allocate_aligned(alignment, size) : __libc_memalign(alignment, size);
}

EXPORT void* aligned_alloc(size_t alignment, size_t size) {
  if (!pool::power_of_two(alignment)) {
    errno = EINVAL;
    return nullptr;
  }
  return memalign(alignment, size);
}

EXPORT int posix_memalign(void** out, size_t alignment, size_t size) {
  if (!pool::power_of_two(alignment) || alignment % sizeof(void*)) return EINVAL;
  int saved = errno;
  void* p = memalign(alignment, size);
  if (!p) return ENOMEM;
  errno = saved;
  *out = p;
  return 0;
}

EXPORT size_t malloc_usable_size(void* p) {
  return pool::serving() ? pool::usable_size(p) : pool::usable_size_in_glibc(p);
}
