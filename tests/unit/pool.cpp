// The pool allocator (src/pool) through its own functions, with the process's malloc
// (the sanitizer's, in those builds) as its fallback. The pool is one per process: each
// case uses size classes of its own, and measures the statistics as differences.
#include "pool/pool.hpp"

#include <doctest/doctest.h>
#include <malloc.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

namespace {

using namespace allocbench;

constexpr pool::Settings settings{1024, 256 << 10, 8};

void ready() {
  static bool started = pool::init(settings, {::malloc, ::calloc, ::realloc, ::memalign, ::free, ::malloc_usable_size});
  REQUIRE(started);
}

uintptr_t address(const void* p) { return reinterpret_cast<uintptr_t>(p); }

}  // namespace

TEST_CASE("pool: sizes are rounded to classes 16 bytes apart, 16-aligned as glibc's blocks are") {
  ready();
  std::vector<void*> blocks;
  for (size_t size = 0; size <= settings.max_class; ++size) {
    void* p = pool::allocate(size);
    CHECK(pool::usable_size(p) == std::max<size_t>(16, (size + 15) / 16 * 16));
    CHECK(address(p) % 16 == 0);
    blocks.push_back(p);
  }
  CHECK(std::set<void*>(blocks.begin(), blocks.end()).size() == blocks.size());
  for (void* p : blocks) pool::release(p);
}

TEST_CASE("pool: larger requests and stronger alignments go to the fallback") {
  ready();
  size_t carved = pool::stats().carved_bytes;
  void* large = pool::allocate(settings.max_class + 1);
  void* aligned = pool::allocate_aligned(8192, 100);
  void* zeroed = pool::allocate_zeroed(3, settings.max_class);
  CHECK(pool::usable_size(large) >= settings.max_class + 1);
  CHECK(address(aligned) % 8192 == 0);
  CHECK(std::all_of(static_cast<char*>(zeroed), static_cast<char*>(zeroed) + 3 * settings.max_class,
                    [](char c) { return c == 0; }));
  CHECK(pool::stats().carved_bytes == carved);
  for (void* p : {large, aligned, zeroed}) pool::release(p);
  CHECK(pool::allocate_zeroed(SIZE_MAX / 2, 3) == nullptr);
}

TEST_CASE("pool: an aligned request up to max_class is a class block aligned to it") {
  ready();
  for (size_t alignment = 32; alignment <= settings.max_class; alignment *= 2)
    for (size_t size : {size_t{0}, size_t{1}, alignment - 16, settings.max_class - alignment}) {
      void* p = pool::allocate_aligned(alignment, size);
      INFO("alignment ", alignment, " size ", size);
      CHECK(address(p) % alignment == 0);
      // The class of the size rounded up to the alignment served it, not the fallback.
      CHECK(pool::usable_size(p) == (std::max<size_t>(size, 1) + alignment - 1) / alignment * alignment);
      pool::release(p);
    }
}

TEST_CASE("pool: calloc zeroes a block that was used before") {
  ready();
  std::vector<void*> used;
  for (int i = 0; i < 50; ++i) used.push_back(std::memset(pool::allocate(200), 0xff, 200));
  for (void* p : used) pool::release(p);
  for (int i = 0; i < 50; ++i) {
    auto* p = static_cast<unsigned char*>(pool::allocate_zeroed(25, 8));
    CHECK(std::all_of(p, p + 200, [](unsigned char c) { return c == 0; }));
    used[i] = p;
  }
  for (void* p : used) pool::release(p);
}

TEST_CASE("pool: realloc keeps the contents across classes and to and from the fallback") {
  ready();
  auto* p = static_cast<unsigned char*>(pool::allocate(40));
  for (int i = 0; i < 40; ++i) p[i] = static_cast<unsigned char>(i);
  CHECK(pool::reallocate(p, 30) == p);  // still more than half of the block (48 bytes)
  auto* q = static_cast<unsigned char*>(pool::reallocate(p, 700));
  CHECK(q != p);
  for (int i = 0; i < 30; ++i) CHECK(q[i] == i);
  auto* r = static_cast<unsigned char*>(pool::reallocate(q, 5000));
  for (int i = 0; i < 30; ++i) CHECK(r[i] == i);
  auto* s = static_cast<unsigned char*>(pool::reallocate(r, 6000));  // the fallback's block stays its own
  CHECK(pool::usable_size(s) >= 6000);
  for (int i = 0; i < 30; ++i) CHECK(s[i] == i);
  auto* t = static_cast<unsigned char*>(pool::reallocate(pool::allocate(300), 24));  // far smaller: moves
  CHECK(pool::usable_size(t) == 32);
  CHECK(pool::reallocate(t, 0) == nullptr);
  pool::release(s);
  void* fresh = pool::reallocate(nullptr, 100);
  CHECK(pool::usable_size(fresh) == 112);
  pool::release(fresh);
}

TEST_CASE("pool: blocks freed by another thread are reused without carving, and a thread's cache goes back at exit") {
  ready();
  constexpr size_t size = 784, count = 1000;
  std::vector<void*> blocks;
  std::thread([&] {
    for (size_t i = 0; i < count; ++i) blocks.push_back(pool::allocate(size));
  }).join();
  pool::Stats before = pool::stats();
  std::set<void*> reused;
  std::thread([&] {
    for (void* p : blocks) pool::release(p);
    pool::Stats held = pool::stats();
    CHECK(held.thread_cache_bytes - before.thread_cache_bytes == settings.thread_cache * size);
    for (size_t i = 0; i < count; ++i) reused.insert(pool::allocate(size));
    for (void* p : reused) pool::release(p);
  }).join();
  pool::Stats after = pool::stats();
  CHECK(reused == std::set<void*>(blocks.begin(), blocks.end()));
  CHECK(after.carved_bytes == before.carved_bytes);
  CHECK(after.thread_cache_bytes == before.thread_cache_bytes);
  CHECK(after.free_list_bytes - before.free_list_bytes == count * size);
  CHECK(after.chunk_bytes % settings.chunk_bytes == 0);
}

TEST_CASE("pool: memory freed stays mapped and resident, in the free lists") {
  ready();
  constexpr size_t size = 992, count = 4096;  // 4 MiB of a class of its own
  pool::Stats before = pool::stats();
  std::vector<void*> blocks;
  std::thread([&] {
    for (size_t i = 0; i < count; ++i) blocks.push_back(std::memset(pool::allocate(size), 1, size));
    for (void* p : blocks) pool::release(p);
  }).join();
  pool::Stats after = pool::stats();
  CHECK(after.chunk_bytes - before.chunk_bytes >= count * size);
  CHECK(after.resident_bytes - before.resident_bytes >= count * size);
  CHECK(after.resident_bytes <= after.chunk_bytes);
  CHECK(after.free_list_bytes - before.free_list_bytes == after.carved_bytes - before.carved_bytes);
  // Less the blocks of this class the first case left in the lists.
  CHECK(after.carved_bytes - before.carved_bytes >= (count - 64) * size);
}

// One thread reads the statistics without pause (registry_lock), another carves new
// 16-byte blocks without pause (carve_lock), and each child allocates more than any list
// holds, so it carves too: a child forked while either lock is held must not inherit it.
TEST_CASE("pool: children forked while other threads carve and read statistics can allocate") {
  ready();
  std::atomic<bool> stop{false};
  std::thread reading([&] {
    while (!stop) pool::stats();
  });
  std::vector<void*> kept;
  std::thread carving([&] {
    while (!stop) kept.push_back(pool::allocate(16));
  });
  for (int child_number = 0; child_number < 20; ++child_number) {
    pid_t child = ::fork();
    if (child == 0) {
      ::alarm(10);  // a lock inherited held: the child hangs, and the alarm ends it
      size_t carved = pool::stats().carved_bytes;
      std::vector<void*> blocks;
      for (int i = 0; i < 20000; ++i) blocks.push_back(pool::allocate(16));
      if (pool::stats().carved_bytes == carved) ::_exit(2);
      for (void* p : blocks) pool::release(p);
      ::_exit(0);
    }
    int status = -1;
    REQUIRE(::waitpid(child, &status, 0) == child);
    CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  }
  stop = true;
  reading.join();
  carving.join();
  for (void* p : kept) pool::release(p);
}

// glibc frees on a thread's way out after the pool's exit handler (key arrays, resolver
// state), after the last round of key destructors; so can a destructor in that round.
// Those frees go to the global lists: a cache made for them would never be given back.
pthread_key_t later_key;

void free_then_allocate_again(void* p) {
  pool::release(p);
  static thread_local int rounds = 0;
  if (++rounds < PTHREAD_DESTRUCTOR_ITERATIONS) ::pthread_setspecific(later_key, pool::allocate(880));
}

TEST_CASE("pool: frees after a thread's exit handler go to the global lists") {
  ready();
  REQUIRE(::pthread_key_create(&later_key, free_then_allocate_again) == 0);
  std::thread([] { pool::release(pool::allocate(64)); }).join();  // a spare cache for the next thread
  pool::Stats before = pool::stats();
  std::thread([] { ::pthread_setspecific(later_key, pool::allocate(880)); }).join();
  pool::Stats after = pool::stats();
  CHECK(after.caches_mapped == before.caches_mapped);
  CHECK(after.thread_cache_bytes == before.thread_cache_bytes);
  CHECK(after.free_list_bytes - before.free_list_bytes == after.carved_bytes - before.carved_bytes);
  ::pthread_key_delete(later_key);
}
