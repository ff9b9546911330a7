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
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>

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

// The address ranges whose calls are not counted: the loader's, the allocator library's
// and those of the libraries only the allocator needs (jemalloc and tcmalloc bring
// libstdc++, which allocates 72 KiB as it loads, into a C program). Found at the first
// allocation (the allocator's constructor, which runs before this library's, may
// allocate), once every library the program starts with is mapped.
struct Range {
  uintptr_t begin = 0, end = 0;
};
constexpr size_t max_ranges = 32;
constinit Range uncounted[max_ranges];
constinit size_t uncounted_ranges = 0;
enum : int { unknown, finding, found };
constinit std::atomic<int> ranges_state{unknown};

void find_uncounted_code();

bool from_uncounted_code(const void* caller) {
  int state = ranges_state.load(std::memory_order_acquire);
  if (state == unknown) {
    if (!ranges_state.compare_exchange_strong(state, finding)) return false;  // another thread is finding them
    find_uncounted_code();
    ranges_state.store(found, std::memory_order_release);
  } else if (state == finding) {
    return false;  // made while they are being found (by dlsym, or another thread): counted
  }
  auto at = reinterpret_cast<uintptr_t>(caller);
  for (size_t i = 0; i < uncounted_ranges; ++i)
    if (at >= uncounted[i].begin && at < uncounted[i].end) return true;
  return false;
}

// The objects mapped at start-up, in fixed storage: this runs inside malloc.
struct LoadedObject {
  const char* name;  // the file's base name, as other objects' DT_NEEDED name it
  const ElfW(Dyn) * dynamic;
  uintptr_t base;
  Range code[4];
  size_t code_count;
  bool the_programs;  // the executable, or needed by one of the program's objects
};
struct LoadedObjects {
  LoadedObject objects[128];
  size_t count;
};
constinit LoadedObjects loaded{};  // constant-initialized: no guard, which libstdc++ would provide

int note_object(dl_phdr_info* info, size_t, void* data) {
  auto& all = *static_cast<LoadedObjects*>(data);
  if (all.count == std::size(all.objects)) return 1;
  LoadedObject& o = all.objects[all.count];
  const char* name = info->dlpi_name ? info->dlpi_name : "";
  o = {std::strrchr(name, '/') ? std::strrchr(name, '/') + 1 : name, nullptr, info->dlpi_addr, {}, 0, all.count == 0};
  for (unsigned i = 0; i < info->dlpi_phnum; ++i) {
    const auto& segment = info->dlpi_phdr[i];
    uintptr_t begin = info->dlpi_addr + segment.p_vaddr;
    if (segment.p_type == PT_DYNAMIC) o.dynamic = reinterpret_cast<const ElfW(Dyn)*>(begin);
    if (segment.p_type == PT_LOAD && (segment.p_flags & PF_X) && o.code_count < std::size(o.code))
      o.code[o.code_count++] = {begin, begin + segment.p_memsz};
  }
  ++all.count;
  return 0;
}

// Marks what `o` needs as the program's; true when it marked one not marked before.
bool mark_needed(LoadedObjects& all, const LoadedObject& o) {
  if (!o.dynamic) return false;
  const char* strings = nullptr;
  for (const ElfW(Dyn)* d = o.dynamic; d->d_tag != DT_NULL; ++d)
    if (d->d_tag == DT_STRTAB) strings = reinterpret_cast<const char*>(d->d_un.d_ptr);
  if (!strings) return false;
  if (reinterpret_cast<uintptr_t>(strings) < o.base) strings += o.base;  // not relocated by the loader
  bool marked = false;
  for (const ElfW(Dyn)* d = o.dynamic; d->d_tag != DT_NULL; ++d) {
    if (d->d_tag != DT_NEEDED) continue;
    for (size_t i = 0; i < all.count; ++i)
      if (!all.objects[i].the_programs && std::strcmp(all.objects[i].name, strings + d->d_un.d_val) == 0)
        marked = all.objects[i].the_programs = true;
  }
  return marked;
}

void find_uncounted_code() {
  Dl_info allocator{};
  void* next_malloc = dlsym(RTLD_NEXT, "malloc");
  uintptr_t allocator_base =
      next_malloc && dladdr(next_malloc, &allocator) ? reinterpret_cast<uintptr_t>(allocator.dli_fbase) : 0;
  LoadedObjects& all = loaded;
  all.count = 0;
  dl_iterate_phdr(note_object, &all);
  for (bool more = true; more;) {
    more = false;
    for (size_t i = 0; i < all.count; ++i)
      if (all.objects[i].the_programs && all.objects[i].base != allocator_base) more |= mark_needed(all, all.objects[i]);
  }
  size_t n = 0;
  for (size_t i = 0; i < all.count; ++i) {
    const LoadedObject& o = all.objects[i];
    bool loader = std::strncmp(o.name, "ld-linux", 8) == 0;
    // glibc's malloc is the program's: libc's calls into it are the program's too.
    bool allocator = o.base == allocator_base && std::strncmp(o.name, "libc.so", 7) != 0;
    if (!loader && !allocator && o.the_programs) continue;
    for (size_t c = 0; c < o.code_count && n < max_ranges; ++c) uncounted[n++] = o.code[c];
  }
  uncounted_ranges = n;
}

// Set in the thread that forks, between fork's prepare and its parent and child
// handlers: it holds every shard's lock then, and may still allocate (another fork
// handler can), which it does without taking them again.
constinit __attribute__((tls_model("initial-exec"))) thread_local bool forking = false;

void remember(void* p, uint64_t size) {
  Shard& s = shard_of(p);
  if (!forking) s.lock();
  s.sizes.put(reinterpret_cast<uintptr_t>(p), size);
  if (!forking) s.unlock();
}

void counted_allocation(void* p, size_t size, const void* caller) {
  if (from_uncounted_code(caller)) return;
  remember(p, size);
  allocs.fetch_add(1, std::memory_order_relaxed);
  bytes_allocated.fetch_add(static_cast<int64_t>(size), std::memory_order_relaxed);
  int64_t now = live.fetch_add(static_cast<int64_t>(size)) + static_cast<int64_t>(size);
  for (int64_t seen = peak.load(); now > seen && !peak.compare_exchange_weak(seen, now);) {
  }
}

// The size of p, no longer live; -1 when it is not an allocation seen here (bootstrap
// memory, or a program's bug): then it is not counted.
int64_t forget(void* p) {
  Shard& s = shard_of(p);
  uint64_t size = 0;
  if (!forking) s.lock();
  bool known = s.sizes.take(reinterpret_cast<uintptr_t>(p), size);
  if (!forking) s.unlock();
  return known ? static_cast<int64_t>(size) : -1;
}

void counted_free(int64_t size) {
  if (size < 0) return;
  frees.fetch_add(1, std::memory_order_relaxed);
  live.fetch_sub(size);
}

// A fork while another thread holds a shard's lock would leave it locked in the child.
void lock_all() {
  for (Shard& s : shards) s.lock();
  forking = true;
}
void unlock_all() {
  forking = false;
  for (Shard& s : shards) s.unlock();
}
__attribute__((constructor)) void hold_locks_across_fork() { pthread_atfork(lock_all, unlock_all, unlock_all); }

// Runs at exit(), after the executable's destructors and atexit handlers but before those
// of its shared libraries (finalized in the reverse order of their constructors, which
// ran before this library's): what those free then still counts as live at the end.
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
void on_free(Op, void* p) { counted_free(forget(p)); }
// Counted as the replay counts it: a free, then an allocation. The old size is taken
// before realloc runs, while no other thread can have been given its address.
int64_t on_realloc_start(void* old) { return forget(old); }
void on_realloc(void* old, void* p, size_t size, const void* caller, int64_t old_size) {
  if (p || size == 0) {  // moved, resized, or (glibc's realloc(p, 0)) freed
    counted_free(old_size);
    if (p) counted_allocation(p, size, caller);
  } else if (old_size >= 0) {  // failed: old is still live
    remember(old, static_cast<uint64_t>(old_size));
  }
}

}  // namespace allocbench::preload
