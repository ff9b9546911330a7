#include "worker/memory_syscalls.hpp"

#include <dlfcn.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <ctime>

namespace allocbench::memory_syscalls {
namespace {

// Plain globals and relaxed atomics: these run inside the allocator, which may hold its
// locks; nothing here allocates or takes a lock.
std::atomic<bool> enabled{false};
struct Shared {
  std::atomic<int64_t> madvise_calls{0}, madvise_bytes{0}, madv_dontneed_bytes{0}, madv_free_bytes{0};
  std::atomic<int64_t> munmap_calls{0}, munmap_bytes{0}, mremap_calls{0}, ns{0};
} shared;

using MadviseFn = int (*)(void*, size_t, int);
using MunmapFn = int (*)(void*, size_t);
using MremapFn = void* (*)(void*, size_t, size_t, int, ...);
MadviseFn real_madvise = nullptr;
MunmapFn real_munmap = nullptr;
MremapFn real_mremap = nullptr;

// Resolved before main, not on first use: dlsym may allocate, and these are called from
// inside malloc. An allocator's calls before then go straight to the kernel.
[[gnu::constructor]] void resolve() {
  real_madvise = reinterpret_cast<MadviseFn>(dlsym(RTLD_NEXT, "madvise"));
  real_munmap = reinterpret_cast<MunmapFn>(dlsym(RTLD_NEXT, "munmap"));
  real_mremap = reinterpret_cast<MremapFn>(dlsym(RTLD_NEXT, "mremap"));
}

int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void add(std::atomic<int64_t>& v, int64_t by) { v.fetch_add(by, std::memory_order_relaxed); }

// Times `call` and counts it when enabled.
template <typename Call, typename Count>
auto counted(Call call, Count count) {
  if (!enabled.load(std::memory_order_relaxed)) return call();
  int64_t t0 = now_ns();
  auto result = call();
  add(shared.ns, now_ns() - t0);
  count();
  return result;
}

int64_t get(const std::atomic<int64_t>& v) { return v.load(std::memory_order_relaxed); }

}  // namespace

void set_enabled(bool on) { enabled.store(on, std::memory_order_relaxed); }

Counts snapshot() {
  return {get(shared.madvise_calls), get(shared.madvise_bytes), get(shared.madv_dontneed_bytes),
          get(shared.madv_free_bytes), get(shared.munmap_calls), get(shared.munmap_bytes),
          get(shared.mremap_calls), get(shared.ns)};
}

Counts operator-(const Counts& a, const Counts& b) {
  return {a.madvise_calls - b.madvise_calls, a.madvise_bytes - b.madvise_bytes,
          a.madv_dontneed_bytes - b.madv_dontneed_bytes, a.madv_free_bytes - b.madv_free_bytes,
          a.munmap_calls - b.munmap_calls, a.munmap_bytes - b.munmap_bytes,
          a.mremap_calls - b.mremap_calls, a.ns - b.ns};
}

}  // namespace allocbench::memory_syscalls

using namespace allocbench::memory_syscalls;

extern "C" int madvise(void* addr, size_t length, int advice) noexcept {
  return counted(
      [&] { return real_madvise ? real_madvise(addr, length, advice) : static_cast<int>(syscall(SYS_madvise, addr, length, advice)); },
      [&] {
        auto bytes = static_cast<int64_t>(length);
        add(shared.madvise_calls, 1);
        add(shared.madvise_bytes, bytes);
        if (advice == MADV_DONTNEED) add(shared.madv_dontneed_bytes, bytes);
        if (advice == MADV_FREE) add(shared.madv_free_bytes, bytes);
      });
}

extern "C" int munmap(void* addr, size_t length) noexcept {
  return counted([&] { return real_munmap ? real_munmap(addr, length) : static_cast<int>(syscall(SYS_munmap, addr, length)); },
                 [&] {
                   add(shared.munmap_calls, 1);
                   add(shared.munmap_bytes, static_cast<int64_t>(length));
                 });
}

extern "C" void* mremap(void* old_address, size_t old_size, size_t new_size, int flags, ...) noexcept {
  void* new_address = nullptr;  // read only with MREMAP_FIXED, as libc's does
  if (flags & MREMAP_FIXED) {
    va_list ap;
    va_start(ap, flags);
    new_address = va_arg(ap, void*);
    va_end(ap);
  }
  return counted(
      [&] {
        return real_mremap ? real_mremap(old_address, old_size, new_size, flags, new_address)
                           : reinterpret_cast<void*>(syscall(SYS_mremap, old_address, old_size, new_size, flags, new_address));
      },
      [&] { add(shared.mremap_calls, 1); });
}
