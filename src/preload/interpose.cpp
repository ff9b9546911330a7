// The interposition layer of the preloaded libraries (interpose.hpp).
#include "preload/interpose.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

namespace allocbench::preload {
namespace {

using trace::Op;

struct Real {
  void* (*malloc)(size_t);
  void* (*calloc)(size_t, size_t);
  void* (*realloc)(void*, size_t);
  void (*free)(void*);
  int (*posix_memalign)(void**, size_t, size_t);
  void* (*aligned_alloc)(size_t, size_t);
  void* (*memalign)(size_t, size_t);
};
constinit Real real{};
constinit std::atomic<bool> resolving{false};

// dlsym may allocate before `real` is known: such calls are served from here.
alignas(64) constinit unsigned char bootstrap[64 * 1024];
constinit std::atomic<size_t> bootstrap_used{0};

void* bootstrap_alloc(size_t n) {
  size_t at = bootstrap_used.fetch_add((n + 15) & ~size_t{15});
  if (at + n > sizeof bootstrap) return nullptr;
  return bootstrap + at;
}
bool from_bootstrap(const void* p) { return p >= bootstrap && p < bootstrap + sizeof bootstrap; }

template <typename F>
void resolve(F& f, const char* name) {
  f = reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

}  // namespace

bool resolve_next_allocator() {
  if (real.free) return true;
  if (resolving.exchange(true)) return false;  // called from within dlsym
  Real r{};
  resolve(r.malloc, "malloc");
  resolve(r.calloc, "calloc");
  resolve(r.realloc, "realloc");
  resolve(r.free, "free");
  resolve(r.posix_memalign, "posix_memalign");
  resolve(r.aligned_alloc, "aligned_alloc");
  resolve(r.memalign, "memalign");
  real = r;
  return true;
}

namespace {

template <typename Call>
void* call_real(Call call, size_t bootstrap_size) {
  if (!resolve_next_allocator()) return bootstrap_alloc(bootstrap_size);
  return call();
}

int aligned_into(void** out, size_t alignment, size_t size) {
  if (!resolve_next_allocator()) {
    *out = bootstrap_alloc(size + alignment);
    return *out ? 0 : ENOMEM;
  }
  return real.posix_memalign(out, alignment, size);
}

// The program's C++ runtime, not one of this library's own: it links none, for
// libstdc++ would make allocations of its own in every program (and operator new is
// only ever called from C++ code, whose runtime is loaded).
template <typename F>
F from_cxx_runtime(const char* symbol) {
  return reinterpret_cast<F>(dlsym(RTLD_DEFAULT, symbol));
}

std::new_handler current_new_handler() {
  auto get = from_cxx_runtime<std::new_handler (*)()>("_ZSt15get_new_handlerv");  // std::get_new_handler
  return get ? get() : nullptr;
}

[[noreturn]] void throw_bad_alloc() {
  if (auto raise = from_cxx_runtime<void (*)()>("_ZSt17__throw_bad_allocv")) raise();  // std::__throw_bad_alloc
  std::abort();
}

template <typename Allocate>
void* new_or_throw(Allocate allocate, bool nothrow) {
  for (;;) {
    if (void* p = allocate()) return p;
    std::new_handler handler = current_new_handler();
    if (!handler) {
      if (nothrow) return nullptr;
      throw_bad_alloc();
    }
    handler();
  }
}

void* cxx_new(Op op, size_t n, bool nothrow, const void* caller) {
  void* p = new_or_throw([n] { return call_real([n] { return real.malloc(n ? n : 1); }, n); }, nothrow);
  if (p) on_allocation(op, p, n, 0, caller);
  return p;
}

void* cxx_new_aligned(Op op, size_t n, std::align_val_t al, bool nothrow, const void* caller) {
  size_t alignment = static_cast<size_t>(al);
  void* p = new_or_throw(
      [n, alignment] {
        void* q = nullptr;
        return aligned_into(&q, alignment < sizeof(void*) ? sizeof(void*) : alignment, n ? n : 1) == 0 ? q : nullptr;
      },
      nothrow);
  if (p) on_allocation(op, p, n, alignment, caller);
  return p;
}

void* memalign_from(size_t alignment, size_t n, const void* caller) {
  void* p = call_real([alignment, n] { return real.memalign(alignment, n); }, n);
  if (p) on_allocation(Op::memalign_, p, n, alignment, caller);
  return p;
}

// The entry points pass on their own caller: a call through another entry point would
// name this library's code, whose calls are not the program's.
void* malloc_from(size_t n, const void* caller) {
  void* p = call_real([n] { return real.malloc(n); }, n);
  if (p) on_allocation(Op::malloc_, p, n, 0, caller);
  return p;
}

void* realloc_from(void* old, size_t n, const void* caller) {
  if (from_bootstrap(old)) {  // moved to the real heap; its size is unknown, the arena's end bounds it
    void* p = malloc_from(n, caller);
    if (p) std::memcpy(p, old, std::min<size_t>(n, static_cast<size_t>(bootstrap + sizeof bootstrap - static_cast<unsigned char*>(old))));
    return p;
  }
  if (!resolve_next_allocator()) return bootstrap_alloc(n);
  if (!old) {
    void* p = real.realloc(old, n);
    if (p) on_allocation(Op::malloc_, p, n, 0, caller);
    return p;
  }
  int64_t started = on_realloc_start(old);
  void* p = real.realloc(old, n);
  on_realloc(old, p, n, caller, started);
  return p;
}

// Every free and operator delete: bootstrap memory is never freed.
void release(Op op, void* p) {
  if (!p || from_bootstrap(p) || !resolve_next_allocator()) return;
  on_free(op, p);
  real.free(p);
}

}  // namespace
}  // namespace allocbench::preload

using namespace allocbench::preload;
using allocbench::trace::Op;

// Where the program called from: the code that asked for the memory.
#define caller() __builtin_return_address(0)

extern "C" {

void* malloc(size_t n) { return malloc_from(n, caller()); }

void* calloc(size_t count, size_t n) {
  if (n && count > SIZE_MAX / n) {
    errno = ENOMEM;
    return nullptr;
  }
  void* p = call_real([count, n] { return real.calloc(count, n); }, count * n);  // bootstrap memory is zero
  if (p) on_allocation(Op::calloc_, p, count * n, 0, caller());
  return p;
}

void free(void* p) { release(Op::free_, p); }

void* realloc(void* old, size_t n) { return realloc_from(old, n, caller()); }

void* reallocarray(void* old, size_t count, size_t n) {
  if (n && count > SIZE_MAX / n) {
    errno = ENOMEM;
    return nullptr;
  }
  return realloc_from(old, count * n, caller());
}

int posix_memalign(void** out, size_t alignment, size_t n) {
  int rc = aligned_into(out, alignment, n);
  if (rc == 0 && *out) on_allocation(Op::posix_memalign_, *out, n, alignment, caller());
  return rc;
}

void* aligned_alloc(size_t alignment, size_t n) {
  void* p = call_real([alignment, n] { return real.aligned_alloc(alignment, n); }, n);
  if (p) on_allocation(Op::aligned_alloc_, p, n, alignment, caller());
  return p;
}

void* memalign(size_t alignment, size_t n) { return memalign_from(alignment, n, caller()); }

void* valloc(size_t n) { return memalign_from(static_cast<size_t>(sysconf(_SC_PAGESIZE)), n, caller()); }

void* pvalloc(size_t n) {
  size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return memalign_from(page, (n + page - 1) / page * page, caller());
}

}  // extern "C"

// ── C++ allocation functions ─────────────────────────────────────────────────
void* operator new(size_t n) { return cxx_new(Op::new_, n, false, caller()); }
void* operator new[](size_t n) { return cxx_new(Op::new_array, n, false, caller()); }
void* operator new(size_t n, const std::nothrow_t&) noexcept { return cxx_new(Op::new_, n, true, caller()); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return cxx_new(Op::new_array, n, true, caller()); }
void* operator new(size_t n, std::align_val_t al) { return cxx_new_aligned(Op::new_aligned, n, al, false, caller()); }
void* operator new[](size_t n, std::align_val_t al) { return cxx_new_aligned(Op::new_array_aligned, n, al, false, caller()); }
void* operator new(size_t n, std::align_val_t al, const std::nothrow_t&) noexcept {
  return cxx_new_aligned(Op::new_aligned, n, al, true, caller());
}
void* operator new[](size_t n, std::align_val_t al, const std::nothrow_t&) noexcept {
  return cxx_new_aligned(Op::new_array_aligned, n, al, true, caller());
}

void operator delete(void* p) noexcept { release(Op::delete_, p); }
void operator delete[](void* p) noexcept { release(Op::delete_array, p); }
void operator delete(void* p, size_t) noexcept { release(Op::delete_, p); }
void operator delete[](void* p, size_t) noexcept { release(Op::delete_array, p); }
void operator delete(void* p, std::align_val_t) noexcept { release(Op::delete_, p); }
void operator delete[](void* p, std::align_val_t) noexcept { release(Op::delete_array, p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { release(Op::delete_, p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { release(Op::delete_array, p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { release(Op::delete_, p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { release(Op::delete_array, p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { release(Op::delete_, p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { release(Op::delete_array, p); }
