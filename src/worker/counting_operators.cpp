// The counting wrapper: every global operator new/delete of the worker, counted and
// forwarded to the allocator under test (whichever library provides malloc here).
// Requested sizes come from sized deallocation, so no header or side table is needed.
#include "counting/counting.hpp"
#include "counting/latency.hpp"
#include "worker/leak_sites.hpp"

#include <cstdlib>
#include <new>

namespace {

using allocbench::counting::enabled;
using allocbench::counting::on_alloc;
using allocbench::counting::on_free;
namespace leak_sites = allocbench::leak_sites;
namespace latency = allocbench::latency;

// Counted repetitions only: the recorder's branch never runs on a timed one.
void count_alloc(void* p, std::size_t n) {
  on_alloc(n);
  if (leak_sites::recording()) [[unlikely]] leak_sites::on_alloc(p, n);
}

void* checked(void* p) {
  if (!p) throw std::bad_alloc();
  return p;
}

// The standard's loop: ask the new-handler for memory until it gives up.
template <typename Allocate>
void* allocate_or_retry(Allocate allocate) {
  for (;;) {
    if (void* p = allocate()) return p;
    std::new_handler handler = std::get_new_handler();
    if (!handler) return nullptr;
    handler();
  }
}

void* allocate(std::size_t n) {
  void* p = allocate_or_retry([n] { return latency::timed(latency::Op::malloc, n, [n] { return std::malloc(n ? n : 1); }); });
  if (p && enabled()) count_alloc(p, n);
  return p;
}

void* allocate_aligned(std::size_t n, std::align_val_t al) {
  auto alignment = static_cast<std::size_t>(al);
  void* p = allocate_or_retry([n, alignment] {
    return latency::timed(latency::Op::aligned, n, [n, alignment] {
      void* q = nullptr;
      return ::posix_memalign(&q, alignment < sizeof(void*) ? sizeof(void*) : alignment, n ? n : 1) == 0 ? q : nullptr;
    });
  });
  if (p && enabled()) count_alloc(p, n);
  return p;
}

void release(void* p, std::size_t n) noexcept {
  if (!p) return;
  if (enabled()) {
    on_free(n);
    if (leak_sites::recording()) [[unlikely]] leak_sites::on_free(p);
  }
  latency::timed(latency::Op::free, n, [p] { std::free(p); });
}

void release_unsized(void* p) noexcept {
  if (!p) return;
  if (enabled()) {
    allocbench::counting::on_unsized_free();
    if (leak_sites::recording()) [[unlikely]] leak_sites::on_free(p);
  }
  latency::timed(latency::Op::free, 0, [p] { std::free(p); });
}

}  // namespace

// ── Allocation ───────────────────────────────────────────────────────────────────
void* operator new(std::size_t n) { return checked(allocate(n)); }
void* operator new[](std::size_t n) { return checked(allocate(n)); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try { return allocate(n); } catch (...) { return nullptr; }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try { return allocate(n); } catch (...) { return nullptr; }
}
void* operator new(std::size_t n, std::align_val_t al) { return checked(allocate_aligned(n, al)); }
void* operator new[](std::size_t n, std::align_val_t al) { return checked(allocate_aligned(n, al)); }
void* operator new(std::size_t n, std::align_val_t al, const std::nothrow_t&) noexcept {
  try { return allocate_aligned(n, al); } catch (...) { return nullptr; }
}
void* operator new[](std::size_t n, std::align_val_t al, const std::nothrow_t&) noexcept {
  try { return allocate_aligned(n, al); } catch (...) { return nullptr; }
}

// ── Deallocation ─────────────────────────────────────────────────────────────────
void operator delete(void* p, std::size_t n) noexcept { release(p, n); }
void operator delete[](void* p, std::size_t n) noexcept { release(p, n); }
void operator delete(void* p, std::size_t n, std::align_val_t) noexcept { release(p, n); }
void operator delete[](void* p, std::size_t n, std::align_val_t) noexcept { release(p, n); }
void operator delete(void* p) noexcept { release_unsized(p); }
void operator delete[](void* p) noexcept { release_unsized(p); }
void operator delete(void* p, std::align_val_t) noexcept { release_unsized(p); }
void operator delete[](void* p, std::align_val_t) noexcept { release_unsized(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { release_unsized(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { release_unsized(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { release_unsized(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { release_unsized(p); }
