// liballocbench-counter.so: loaded with LD_PRELOAD ahead of the allocator in the counted
// repetition of a `cmd:` workload, it counts the program's allocations (interpose.cpp
// sees the malloc family and operator new/delete) and, at exit, reports "counts PID
// allocs frees bytes_allocated peak_live_bytes live_bytes_at_end".
//
// Live bytes are requested bytes, as everywhere in allocbench, so the figures are the
// same on every allocator: the size of each live object is kept in a table of its own,
// in mmap'd memory, sharded by address under spin locks. One shared counter of live
// bytes makes the peak exact with threads too. This costs time, which is why the timed
// repetitions run without it.
//
// Counted are the calls of the program and its libraries. Not counted are those of the
// dynamic loader (each thread's TLS vector, sized by the modules with TLS, which the
// allocator library adds to) and of the allocator library itself (tcmalloc allocates
// through malloc): they differ with the allocator, and are not the program's work.
#include "preload/interpose.hpp"
#include "preload/report_line.hpp"

#include <dlfcn.h>
#include <link.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace {

using allocbench::trace::Op;

// Sizes by address: open addressing, linear probing, at most half full, entries removed
// by shifting back those after them. Address 0 marks an empty entry.
class SizeTable {
 public:
  void put(uintptr_t address, uint64_t size) {
    if (2 * (used_ + 1) > capacity_ && !grow()) return;  // out of memory: that object goes uncounted
    Entry& e = entries_[find(address)];
    if (e.address == 0) ++used_;
    e = {address, size};
  }
  // The size of `address`, which is no longer live; false when it was never seen.
  bool take(uintptr_t address, uint64_t& size) {
    if (!entries_) return false;
    size_t hole = find(address);
    if (entries_[hole].address == 0) return false;
    size = entries_[hole].size;
    --used_;
    size_t mask = capacity_ - 1;
    for (size_t i = (hole + 1) & mask; entries_[i].address != 0; i = (i + 1) & mask) {
      size_t home = home_of(entries_[i].address);
      if (((i - home) & mask) >= ((i - hole) & mask)) {  // its home is not between the hole and it
        entries_[hole] = entries_[i];
        hole = i;
      }
    }
    entries_[hole] = {};
    return true;
  }

 private:
  struct Entry {
    uintptr_t address;
    uint64_t size;
  };
  size_t home_of(uintptr_t address) const { return (address * 0x9E3779B97F4A7C15ull >> 20) & (capacity_ - 1); }
  size_t find(uintptr_t address) const {
    size_t i = home_of(address);
    while (entries_[i].address != 0 && entries_[i].address != address) i = (i + 1) & (capacity_ - 1);
    return i;
  }
  bool grow() {
    size_t capacity = capacity_ ? 2 * capacity_ : 1024;
    void* m = mmap(nullptr, capacity * sizeof(Entry), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return false;
    Entry* old = entries_;
    size_t old_capacity = capacity_;
    entries_ = static_cast<Entry*>(m);
    capacity_ = capacity;
    for (size_t i = 0; i < old_capacity; ++i)
      if (old[i].address != 0) entries_[find(old[i].address)] = old[i];
    if (old) munmap(old, old_capacity * sizeof(Entry));
    return true;
  }

  Entry* entries_ = nullptr;
  size_t capacity_ = 0, used_ = 0;
};

struct alignas(64) Shard {
  std::atomic<bool> locked{false};
  SizeTable sizes;
  void lock() {
    while (locked.exchange(true, std::memory_order_acquire)) sched_yield();
  }
  void unlock() { locked.store(false, std::memory_order_release); }
};

constexpr size_t shard_count = 64;
constinit Shard shards[shard_count];
Shard& shard_of(const void* p) { return shards[(reinterpret_cast<uintptr_t>(p) >> 4) % shard_count]; }

constinit std::atomic<int64_t> allocs{0}, frees{0}, bytes_allocated{0}, live{0}, peak{0};

// The address ranges of the loader and of an allocator library other than glibc: their
// calls are not counted. Found at the first allocation (the allocator's constructor, which
// runs before this library's, may allocate), while the loader starts the program.
struct Range {
  uintptr_t begin = 0, end = 0;
};
constinit Range uncounted[8];
constinit size_t uncounted_ranges = 0;
enum : int { unknown, finding, found };
constinit std::atomic<int> ranges_state{unknown};

void find_uncounted_code();

bool from_uncounted_code(const void* caller) {
  int state = ranges_state.load(std::memory_order_acquire);
  if (state == unknown) {
    if (!ranges_state.compare_exchange_strong(state, finding)) return false;  // another call is finding them
    find_uncounted_code();
    ranges_state.store(found, std::memory_order_release);
  } else if (state == finding) {
    return false;  // an allocation made while finding them (dlsym's)
  }
  auto at = reinterpret_cast<uintptr_t>(caller);
  for (size_t i = 0; i < uncounted_ranges; ++i)
    if (at >= uncounted[i].begin && at < uncounted[i].end) return true;
  return false;
}

struct Excluded {
  uintptr_t allocator_base;  // 0 when glibc serves: its calls from libc are the program's
  Range found[8];
  size_t count;
};

int note_excluded_object(dl_phdr_info* object, size_t, void* data) {
  auto& x = *static_cast<Excluded*>(data);
  const char* name = object->dlpi_name ? object->dlpi_name : "";
  const char* base_name = std::strrchr(name, '/') ? std::strrchr(name, '/') + 1 : name;
  bool loader = std::strncmp(base_name, "ld-linux", 8) == 0;
  bool allocator = x.allocator_base && object->dlpi_addr == x.allocator_base;
  if (!loader && !allocator) return 0;
  for (unsigned i = 0; i < object->dlpi_phnum && x.count < 8; ++i) {
    const auto& segment = object->dlpi_phdr[i];
    if (segment.p_type == PT_LOAD && (segment.p_flags & PF_X))
      x.found[x.count++] = {object->dlpi_addr + segment.p_vaddr, object->dlpi_addr + segment.p_vaddr + segment.p_memsz};
  }
  return 0;
}

void find_uncounted_code() {
  Dl_info allocator{}, libc{};
  Excluded x{};
  void* next_malloc = dlsym(RTLD_NEXT, "malloc");
  void* libc_symbol = dlsym(RTLD_DEFAULT, "gnu_get_libc_version");
  if (next_malloc && libc_symbol && dladdr(next_malloc, &allocator) && dladdr(libc_symbol, &libc) &&
      allocator.dli_fbase != libc.dli_fbase)
    x.allocator_base = reinterpret_cast<uintptr_t>(allocator.dli_fbase);
  dl_iterate_phdr(note_excluded_object, &x);
  for (size_t i = 0; i < x.count; ++i) uncounted[i] = x.found[i];
  uncounted_ranges = x.count;
}

void counted_allocation(void* p, size_t size, const void* caller) {
  if (from_uncounted_code(caller)) return;
  Shard& s = shard_of(p);
  s.lock();
  s.sizes.put(reinterpret_cast<uintptr_t>(p), size);
  s.unlock();
  allocs.fetch_add(1, std::memory_order_relaxed);
  bytes_allocated.fetch_add(static_cast<int64_t>(size), std::memory_order_relaxed);
  int64_t now = live.fetch_add(static_cast<int64_t>(size)) + static_cast<int64_t>(size);
  for (int64_t seen = peak.load(); now > seen && !peak.compare_exchange_weak(seen, now);) {
  }
}

void counted_free(void* p) {
  Shard& s = shard_of(p);
  uint64_t size = 0;
  s.lock();
  bool known = s.sizes.take(reinterpret_cast<uintptr_t>(p), size);
  s.unlock();
  if (!known) return;  // not an allocation seen here (bootstrap memory, or a program's bug): not counted
  frees.fetch_add(1, std::memory_order_relaxed);
  live.fetch_sub(static_cast<int64_t>(size));
}

// Runs at exit(), after the program's own destructors: libraries preloaded first are
// finalized last.
__attribute__((destructor)) void report_counts() {
  char line[256];
  int n = std::snprintf(line, sizeof line, "counts %d %lld %lld %lld %lld %lld\n", static_cast<int>(getpid()),
                        static_cast<long long>(allocs.load()), static_cast<long long>(frees.load()),
                        static_cast<long long>(bytes_allocated.load()), static_cast<long long>(peak.load()),
                        static_cast<long long>(live.load()));
  if (n > 0) allocbench::preload::append_report_line(line, static_cast<size_t>(n));
}

}  // namespace

namespace allocbench::preload {

void on_allocation(Op, void* p, size_t size, size_t, const void* caller) { counted_allocation(p, size, caller); }
void on_free(Op, void* p) { counted_free(p); }
void on_realloc(void* old, void* p, size_t size, const void* caller) {  // as the replay counts it: a free, then an allocation
  counted_free(old);
  counted_allocation(p, size, caller);
}

}  // namespace allocbench::preload
