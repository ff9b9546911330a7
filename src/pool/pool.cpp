// The pool allocator (pool.hpp). allocate and release touch only the calling thread's
// cache, unless it is empty or full; everything else is on the slow paths below them.
#include "pool/pool.hpp"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

namespace allocbench::pool {
namespace {

using std::memory_order_acquire;
using std::memory_order_relaxed;
using std::memory_order_release;

// Class c holds blocks of c * class_step bytes; class 0 is unused.
constexpr size_t class_count = largest_max_class / class_step + 1;
constexpr size_t first_class = smallest_class / class_step;

size_t class_of(size_t size) { return size <= smallest_class ? first_class : (size + class_step - 1) / class_step; }
size_t class_size(size_t c) { return c * class_step; }

// A word that names a block by its index in the range (offset / class_step; 0: none)
// and holds another number above it: a free list's tag, or a batch's length.
constexpr unsigned index_bits = 32;
static_assert(largest_range / class_step <= uint64_t{1} << index_bits);
constexpr uint64_t index_mask = (uint64_t{1} << index_bits) - 1;
constexpr uint64_t pack(uint64_t index, uint64_t above) { return above << index_bits | index; }
constexpr uint64_t above(uint64_t word) { return word >> index_bits; }

constexpr unsigned granule_shift = 16;
static_assert(chunk_granule == size_t{1} << granule_shift);
// Chunks start at whole pages, and so do classes in them: a class whose size is a multiple
// of an alignment up to a page is aligned to it.
constexpr size_t page_bytes = 4096;
static_assert(largest_max_class <= page_bytes);

// A free block's two words: the next block of its list; and, while it heads a batch in
// a global free list, the next batch and this batch's length.
struct FreeBlock {
  FreeBlock* next;
  uint64_t batch_link;
};

struct Config {
  char* base = nullptr;  // the reserved range; its first granule is never mapped
  size_t range = 0;
  uint16_t* chunk_class = nullptr;  // per granule of the range: the class of its chunk
  Settings settings;
  Fallback fallback{};
  size_t batch = 1;  // blocks moved between a cache and a global list at once
  pthread_key_t thread_exit{};
};
constinit Config config;

// Where p is in the range; config.range or more when the pool does not own it.
size_t offset_of(const void* p) { return reinterpret_cast<uintptr_t>(p) - reinterpret_cast<uintptr_t>(config.base); }
size_t class_at(size_t offset) { return config.chunk_class[offset >> granule_shift]; }

uint64_t index_of(const void* p) { return offset_of(p) / class_step; }
FreeBlock* block_at(uint64_t word) {
  uint64_t index = word & index_mask;
  return index ? reinterpret_cast<FreeBlock*>(config.base + index * class_step) : nullptr;
}

[[noreturn]] void fail(const char* message) {
  ssize_t ignored = ::write(STDERR_FILENO, message, std::strlen(message));
  (void)ignored;
  std::abort();
}

struct alignas(64) Class {
  std::atomic<uint64_t> free_list{0};  // the top batch's index, a tag above it
  std::atomic<size_t> free_blocks{0};
  std::atomic<size_t> carved_blocks{0};
  std::atomic<bool> out_of_chunks{false};
  char* carve_next = nullptr;  // the rest of the class's current chunk, under carve_lock
  char* carve_end = nullptr;
};
constinit Class classes[class_count];
// One lock for carving in every class: with a thread cache, a thread carves a batch at a
// time, and only when the global list is empty too.
constinit pthread_mutex_t carve_lock = PTHREAD_MUTEX_INITIALIZER;
constinit std::atomic<size_t> chunk_cursor{chunk_granule};
constinit std::atomic<size_t> mapped_bytes{0};
constinit std::atomic<size_t> fallback_bytes{0};  // of classes with no chunk left, sent to the fallback

struct Batch {
  FreeBlock* head;  // a list ending in null
  size_t count;
};

// ── The global free lists: lock-free stacks of batches ─────────────────────────
// The tag in the head word changes with every push and pop, so a thread whose view of
// the top is stale (the batch was popped, and maybe pushed again) fails its CAS: ABA
// would take 2^32 operations on one class while the thread sleeps between two lines.

// A popping thread may read the link of a top batch that another thread has popped and
// handed out meanwhile, while the program writes to it. Its CAS then fails, and the
// memory is never unmapped; that read is the one race by design, hidden from TSan.
__attribute__((no_sanitize("thread"))) uint64_t peek_batch_link(const FreeBlock* b) {
  return *static_cast<const volatile uint64_t*>(&b->batch_link);
}

Batch pop_batch(Class& k) {
  uint64_t top = k.free_list.load(memory_order_acquire);
  for (;;) {
    FreeBlock* head = block_at(top);
    if (!head) return {nullptr, 0};
    uint64_t link = peek_batch_link(head);
    if (k.free_list.compare_exchange_weak(top, pack(link & index_mask, above(top) + 1), memory_order_acquire,
                                          memory_order_acquire)) {
      k.free_blocks.fetch_sub(above(link), memory_order_relaxed);
      return {head, above(link)};
    }
  }
}

void push_batch(Class& k, Batch b) {
  k.free_blocks.fetch_add(b.count, memory_order_relaxed);
  uint64_t top = k.free_list.load(memory_order_relaxed);
  do {
    b.head->batch_link = pack(top & index_mask, b.count);
  } while (!k.free_list.compare_exchange_weak(top, pack(index_of(b.head), above(top) + 1), memory_order_release,
                                              memory_order_relaxed));
}

// ── Chunks ──────────────────────────────────────────────────────────────────────
// The class's next chunk: the range's next free pages, made writable (mprotect, which
// unlike mmap over them never leaves a hole when it fails). False when the range is used
// up or the system refuses; the class then carves no more, and once its free blocks are
// gone its calls go to the fallback.
bool map_chunk(Class& k, size_t c) {
  size_t bytes = config.settings.chunk_bytes;
  size_t at = chunk_cursor.fetch_add(bytes, memory_order_relaxed);
  if (at > config.range - bytes || ::mprotect(config.base + at, bytes, PROT_READ | PROT_WRITE) != 0) {
    k.out_of_chunks.store(true, memory_order_relaxed);
    return false;
  }
  std::fill_n(config.chunk_class + (at >> granule_shift), bytes >> granule_shift, static_cast<uint16_t>(c));
  mapped_bytes.fetch_add(bytes, memory_order_relaxed);
  // Chunks start at multiples of 64 KiB, so every class's first blocks would share the
  // same cache sets; each class starts its chunks a few pages in (never touched).
  size_t colour = c * page_bytes % (bytes / 4) / page_bytes * page_bytes;
  k.carve_next = config.base + at + colour;
  k.carve_end = config.base + at + bytes;
  return true;
}

// Up to n new blocks of class c, at chunk start + i * size.
Batch carve(size_t c, size_t n) {
  Class& k = classes[c];
  if (k.out_of_chunks.load(memory_order_relaxed)) return {nullptr, 0};
  size_t size = class_size(c);
  ::pthread_mutex_lock(&carve_lock);
  if (static_cast<size_t>(k.carve_end - k.carve_next) < size && !map_chunk(k, c)) {
    ::pthread_mutex_unlock(&carve_lock);
    return {nullptr, 0};
  }
  n = std::min(n, static_cast<size_t>(k.carve_end - k.carve_next) / size);
  char* first = k.carve_next;
  k.carve_next += n * size;
  ::pthread_mutex_unlock(&carve_lock);

  for (size_t i = 0; i + 1 < n; ++i)
    reinterpret_cast<FreeBlock*>(first + i * size)->next = reinterpret_cast<FreeBlock*>(first + (i + 1) * size);
  reinterpret_cast<FreeBlock*>(first + (n - 1) * size)->next = nullptr;
  k.carved_blocks.fetch_add(n, memory_order_relaxed);
  return {reinterpret_cast<FreeBlock*>(first), n};
}

// ── Thread caches ───────────────────────────────────────────────────────────────
// A thread's cache is memory the pool maps for it, never unmapped and reused after the
// thread's exit, so that stats() may read every registered cache at any time, even one
// whose thread ended without its exit handler (registered during the last round of
// thread-exit destructors): its blocks are stranded there, and counted there.
struct ThreadCache {
  struct List {
    FreeBlock* head = nullptr;
    std::atomic<uint32_t> count{0};  // written by its thread only; read by stats()
  };
  List lists[class_count];
  ThreadCache* prev = nullptr;  // the registry of caches in use, or the spare ones
  ThreadCache* next = nullptr;
};

// Where a thread without a cache of its own points: its lists are empty, and the slow
// paths, which every call of such a thread takes, never write to it.
constinit ThreadCache no_cache;
// Initial-exec: the library is loaded at start (linked or LD_PRELOAD), and the pointer is
// then at a fixed offset from the thread pointer, with no call to find it.
constinit thread_local ThreadCache* cache __attribute__((tls_model("initial-exec"))) = &no_cache;

// After its exit handler, a thread's calls go to the global lists: glibc still frees on
// the way out (key arrays, resolver state), and a cache made then would never be retired.
constinit thread_local bool exited __attribute__((tls_model("initial-exec"))) = false;

constinit pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
constinit ThreadCache* registry = nullptr;
constinit ThreadCache* spare_caches = nullptr;
constinit size_t caches_mapped = 0;

ThreadCache* new_cache() {
  ::pthread_mutex_lock(&registry_lock);
  ThreadCache* t = spare_caches;
  if (t) spare_caches = t->next;
  ::pthread_mutex_unlock(&registry_lock);
  bool mapped = !t;
  if (mapped) {
    void* memory = ::mmap(nullptr, sizeof(ThreadCache), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) return nullptr;
    t = new (memory) ThreadCache;
  }
  ::pthread_mutex_lock(&registry_lock);
  caches_mapped += mapped;
  t->prev = nullptr;
  t->next = registry;
  if (registry) registry->prev = t;
  registry = t;
  ::pthread_mutex_unlock(&registry_lock);
  return t;
}

void retire_cache(ThreadCache* t) {
  ::pthread_mutex_lock(&registry_lock);
  (t->prev ? t->prev->next : registry) = t->next;
  if (t->next) t->next->prev = t->prev;
  t->next = spare_caches;
  spare_caches = t;
  ::pthread_mutex_unlock(&registry_lock);
}

// At thread exit: every cached block goes back to the global lists.
void on_thread_exit(void* arg) {
  auto* t = static_cast<ThreadCache*>(arg);
  cache = &no_cache;
  exited = true;
  for (size_t c = first_class; c < class_count; ++c) {
    ThreadCache::List& l = t->lists[c];
    if (!l.head) continue;
    push_batch(classes[c], {l.head, l.count.load(memory_order_relaxed)});
    l.head = nullptr;
    l.count.store(0, memory_order_relaxed);
  }
  retire_cache(t);
}

// The calling thread's cache, made on its first call; null after the thread's exit
// handler, or when no memory is left for one (the call then goes to the global lists).
// pthread_setspecific may allocate: by then the thread has its cache.
ThreadCache* own_cache() {
  if (cache != &no_cache) return cache;
  if (exited) return nullptr;
  ThreadCache* t = new_cache();
  if (!t) return nullptr;
  cache = t;
  ::pthread_setspecific(config.thread_exit, t);
  return t;
}

void* take(size_t c);

// A block of class c when the thread's list is empty: a batch from the global list, or
// new blocks; null when the class has no chunk left.
__attribute__((noinline)) void* refill(size_t c) {
  ThreadCache* t = own_cache();
  if (t && t->lists[c].head) return take(c);  // filled by an allocation within own_cache
  Batch b = pop_batch(classes[c]);
  if (!b.head) b = carve(c, config.batch);
  if (!b.head) {
    fallback_bytes.fetch_add(class_size(c), memory_order_relaxed);
    return nullptr;
  }
  if (b.count > 1) {
    Batch rest{b.head->next, b.count - 1};
    if (t) {
      t->lists[c].head = rest.head;
      t->lists[c].count.store(static_cast<uint32_t>(rest.count), memory_order_relaxed);
    } else {
      push_batch(classes[c], rest);
    }
  }
  return b.head;
}

void* take(size_t c) {
  ThreadCache::List& l = cache->lists[c];
  if (FreeBlock* b = l.head) [[likely]] {
    l.head = b->next;
    l.count.store(l.count.load(memory_order_relaxed) - 1, memory_order_relaxed);
    return b;
  }
  return refill(c);
}

// A block of class c freed when the thread's list is full, or the thread has no cache.
__attribute__((noinline)) void give_back_slow(size_t c, FreeBlock* b) {
  ThreadCache* t = own_cache();
  if (!t) {
    b->next = nullptr;
    push_batch(classes[c], {b, 1});
    return;
  }
  ThreadCache::List& l = t->lists[c];
  b->next = l.head;
  l.head = b;
  size_t n = l.count.load(memory_order_relaxed) + 1;
  if (n > config.settings.thread_cache) {
    // The newest `batch` blocks go to the global list together.
    FreeBlock* last = b;
    for (size_t i = 1; i < config.batch; ++i) last = last->next;
    l.head = last->next;
    last->next = nullptr;
    n -= config.batch;
    push_batch(classes[c], {b, config.batch});
  }
  l.count.store(static_cast<uint32_t>(n), memory_order_relaxed);
}

void give_back(size_t c, void* p) {
  auto* b = static_cast<FreeBlock*>(p);
  ThreadCache* t = cache;
  ThreadCache::List& l = t->lists[c];
  uint32_t n = l.count.load(memory_order_relaxed);
  if (n < config.settings.thread_cache && t != &no_cache) [[likely]] {
    b->next = l.head;
    l.head = b;
    l.count.store(n + 1, memory_order_relaxed);
    return;
  }
  give_back_slow(c, b);
}

// fork() from a multi-threaded program: no lock may be held by a thread the child lacks.
// (Fork handlers registered before the pool's first call run after this one: one that
// carves a new chunk would wait for itself. None of the programs measured here has one.)
void before_fork() {
  ::pthread_mutex_lock(&registry_lock);
  ::pthread_mutex_lock(&carve_lock);
}
void after_fork_in_parent() {
  ::pthread_mutex_unlock(&carve_lock);
  ::pthread_mutex_unlock(&registry_lock);
}
// The child has one thread: the other threads' caches stay registered, their blocks
// stranded, as the threads are gone.
void after_fork_in_child() { after_fork_in_parent(); }

// The chunks' pages that are resident (mincore): what the pool costs in RSS.
size_t resident_chunk_bytes() {
  size_t end = std::min(chunk_cursor.load(memory_order_relaxed), config.range);
  size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  unsigned char in_core[4096];
  size_t resident = 0;
  for (size_t at = chunk_granule; at < end; at += sizeof in_core * page) {
    size_t pages = std::min(sizeof in_core, (end - at) / page);
    if (::mincore(config.base + at, pages * page, in_core) != 0) break;
    for (size_t i = 0; i < pages; ++i) resident += (in_core[i] & 1) * page;
  }
  return resident;
}

}  // namespace

bool init(const Settings& settings, const Fallback& fallback) {
  size_t bytes = largest_range;
  void* range = MAP_FAILED;
  for (; bytes >= smallest_range && range == MAP_FAILED; bytes /= 2)
    range = ::mmap(nullptr, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (range == MAP_FAILED) return false;
  bytes *= 2;
  size_t table_bytes = bytes / chunk_granule * sizeof(uint16_t);
  void* table = ::mmap(nullptr, table_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (table == MAP_FAILED) {
    ::munmap(range, bytes);
    return false;
  }
  config.base = static_cast<char*>(range);
  config.range = bytes;
  config.chunk_class = static_cast<uint16_t*>(table);
  config.settings = settings;
  config.fallback = fallback;
  config.batch = std::max<size_t>(1, settings.thread_cache / 2);
  return ::pthread_key_create(&config.thread_exit, on_thread_exit) == 0 &&
         ::pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child) == 0;
}

const Settings& settings() { return config.settings; }

Stats stats() {
  Stats s{config.range, mapped_bytes.load(memory_order_relaxed), resident_chunk_bytes(), 0, 0, 0,
          fallback_bytes.load(memory_order_relaxed), 0};
  for (size_t c = first_class; c < class_count; ++c) {
    s.carved_bytes += classes[c].carved_blocks.load(memory_order_relaxed) * class_size(c);
    s.free_list_bytes += classes[c].free_blocks.load(memory_order_relaxed) * class_size(c);
  }
  ::pthread_mutex_lock(&registry_lock);
  s.caches_mapped = caches_mapped;
  for (ThreadCache* t = registry; t; t = t->next)
    for (size_t c = first_class; c < class_count; ++c)
      s.thread_cache_bytes += t->lists[c].count.load(memory_order_relaxed) * class_size(c);
  ::pthread_mutex_unlock(&registry_lock);
  return s;
}

void* allocate(size_t size) {
  if (size <= config.settings.max_class) [[likely]]
    if (void* p = take(class_of(size))) return p;
  return config.fallback.malloc(size);
}

void* allocate_zeroed(size_t count, size_t size) {
  size_t bytes = 0;
  if (__builtin_mul_overflow(count, size, &bytes)) {
    errno = ENOMEM;
    return nullptr;
  }
  if (bytes > config.settings.max_class) return config.fallback.calloc(count, size);
  void* p = allocate(bytes);
  if (p) std::memset(p, 0, bytes);
  return p;
}

// A size rounded up to the alignment is a class whose blocks are all aligned to it.
void* allocate_aligned(size_t alignment, size_t size) {
  if (alignment <= class_step) return allocate(size);
  if (size <= config.settings.max_class && alignment <= config.settings.max_class) {
    size_t rounded = (std::max<size_t>(size, 1) + alignment - 1) & ~(alignment - 1);
    if (rounded <= config.settings.max_class)
      if (void* p = take(class_of(rounded))) return p;
  }
  return config.fallback.memalign(alignment, size);
}

// A block of the fallback's stays the fallback's; one of the pool's stays in place when
// the new size still fills more than half of it.
void* reallocate(void* p, size_t size) {
  if (!p) return allocate(size);
  if (size == 0) {
    release(p);
    return nullptr;
  }
  size_t offset = offset_of(p);
  if (offset >= config.range) return config.fallback.realloc(p, size);
  size_t have = class_size(class_at(offset));
  if (size <= have && (size > have / 2 || have == smallest_class)) return p;
  void* q = allocate(size);
  if (!q) return nullptr;
  std::memcpy(q, p, std::min(have, size));
  release(p);
  return q;
}

void release(void* p) {
  size_t offset = offset_of(p);
  if (offset >= config.range) return config.fallback.free(p);
  size_t c = class_at(offset);
  if (c < first_class) [[unlikely]]
    fail("allocbench pool: free() of an address in the pool's range that it never handed out\n");
  give_back(c, p);
}

bool owns(const void* p) { return offset_of(p) < config.range; }

size_t usable_size(void* p) {
  if (!p) return 0;
  size_t offset = offset_of(p);
  return offset < config.range ? class_size(class_at(offset)) : config.fallback.usable_size(p);
}

}  // namespace allocbench::pool
