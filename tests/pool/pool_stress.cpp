// The pool allocator (src/pool) under threads that allocate every size class, plain,
// zeroed and aligned, resize blocks across classes and to glibc's sizes, and free each
// other's blocks. Every block is filled with its own pattern and checked before it goes:
// a block handed out twice, or handed out while still in use, shows as a broken pattern.
// Threads come in waves, so that exiting threads give their caches back and the next
// wave reuses them (no more caches are made than threads run at once). Blocks up to
// max_class must come from their class, and at the end every block the pool carved must
// be back in its free lists. Exits 1 with the first fault; the CTest tests run it with
// several settings, also under ASan and TSan.
//
//   pool_stress [--threads N] [--waves N] [--ops N] [--max-class B] [--chunk-bytes B] [--thread-cache N]
//               [--expect-full-range 1]
#include "pool/pool.hpp"

#include <malloc.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace allocbench;
using pool::class_step;

struct Options {
  unsigned threads = 8;
  unsigned waves = 3;
  unsigned ops = 200000;  // per thread and wave
  pool::Settings settings;
  bool expect_full_range = false;  // chunks so large that some classes get none
};

[[noreturn]] void fault(const std::string& what) {
  std::fprintf(stderr, "pool_stress: %s\n", what.c_str());
  std::exit(1);
}

struct Block {
  unsigned char* p = nullptr;
  size_t size = 0;
  uint64_t tag = 0;
};

unsigned char pattern(uint64_t tag) { return static_cast<unsigned char>(tag * 0x9E3779B97F4A7C15ull >> 56); }

void fill(const Block& b) {
  std::memset(b.p, pattern(b.tag), b.size);
  if (b.size >= sizeof b.tag) std::memcpy(b.p, &b.tag, sizeof b.tag);
}

// The first `bytes` of b, as fill(b) left them.
void check(const Block& b, size_t bytes, const char* when) {
  unsigned char tag[sizeof b.tag];
  std::memcpy(tag, &b.tag, sizeof tag);
  for (size_t i = 0; i < bytes; ++i) {
    unsigned char expected = b.size >= sizeof tag && i < sizeof tag ? tag[i] : pattern(b.tag);
    if (b.p[i] != expected)
      fault("block " + std::to_string(b.tag) + " of " + std::to_string(b.size) + " bytes was overwritten " + when);
  }
}

// Blocks freed by another thread than the one that allocated them.
struct Inbox {
  std::mutex lock;
  std::vector<Block> blocks;
};

class Worker {
 public:
  Worker(const Options& o, unsigned id, Inbox& own, Inbox& next)
      : o_(o), id_(id), own_(own), next_(next), rng_(id * 7919 + 1), live_(512) {}

  void run() {
    every_class();
    for (unsigned i = 0; i < o_.ops; ++i) {
      Block& slot = live_[rng_() % live_.size()];
      unsigned choice = rng_() % 100;
      if (choice < 15 && slot.p) {
        resize(slot);
      } else {
        if (slot.p) let_go(slot);
        slot = make(choice);
      }
      if (i % 256 == 0) drain();
    }
  }

  // After every thread of the wave has run: what is left, and what the others sent.
  void finish() {
    for (Block& b : live_)
      if (b.p) free_here(b);
    drain();
  }

 private:
  size_t size_for(unsigned choice) {
    size_t max_class = o_.settings.max_class;
    if (choice % 10 == 0) return max_class + 1 + rng_() % (3 * max_class);  // the fallback's
    return rng_() % (max_class + 1);
  }

  Block make(unsigned choice) {
    Block b{nullptr, size_for(choice), (uint64_t{id_} << 40) | ++count_};
    if (choice < 25) {
      size_t alignment = size_t{16} << rng_() % 9;  // 16 to 4096
      b.p = static_cast<unsigned char*>(pool::allocate_aligned(alignment, b.size));
      if (reinterpret_cast<uintptr_t>(b.p) % alignment) fault("a block is not aligned to " + std::to_string(alignment));
      size_t rounded = (std::max<size_t>(b.size, 1) + alignment - 1) / alignment * alignment;
      if (rounded <= o_.settings.max_class) expect_class_block(b, rounded);
    } else if (choice < 35) {
      b.p = static_cast<unsigned char*>(pool::allocate_zeroed(1, b.size));
      for (size_t i = 0; i < b.size; ++i)
        if (b.p[i]) fault("a zeroed block of " + std::to_string(b.size) + " bytes is not zero");
    } else {
      b.p = static_cast<unsigned char*>(pool::allocate(b.size));
    }
    if (!b.p) fault("allocation of " + std::to_string(b.size) + " bytes failed");
    size_t usable = pool::usable_size(b.p);
    if (usable < b.size) fault("usable size " + std::to_string(usable) + " < " + std::to_string(b.size));
    fill(b);
    return b;
  }

  // A size up to max_class is a block of its class, unless its class ran out of chunks.
  void expect_class_block(const Block& b, size_t rounded) {
    if (!pool::owns(b.p)) {
      if (!o_.expect_full_range) fault(std::to_string(b.size) + " bytes came from the fallback");
      return;
    }
    size_t usable = pool::usable_size(b.p);
    if (usable != std::max(rounded, pool::smallest_class))
      fault(std::to_string(b.size) + " bytes came with " + std::to_string(usable) + ", not from their class");
  }

  // Across classes, and into and out of the fallback's sizes; the contents must follow.
  void resize(Block& b) {
    check(b, b.size, "before realloc");
    size_t size = std::max<size_t>(1, size_for(rng_() % 100));
    auto* p = static_cast<unsigned char*>(pool::reallocate(b.p, size));
    if (!p) fault("realloc to " + std::to_string(size) + " bytes failed");
    check({p, b.size, b.tag}, std::min(b.size, size), "by realloc");
    b = {p, size, b.tag};
    fill(b);
  }

  // Half the blocks go to the next thread, unless it has fallen behind.
  void let_go(Block& b) {
    if (rng_() % 2 == 0) {
      check(b, b.size, "before it was sent to another thread");
      std::lock_guard lock(next_.lock);
      if (next_.blocks.size() < 1024) {
        next_.blocks.push_back(b);
        b = {};
        return;
      }
    }
    free_here(b);
  }

  void free_here(Block& b) {
    check(b, b.size, "before free");
    pool::release(b.p);
    b = {};
  }

  void drain() {
    std::vector<Block> arrived;
    {
      std::lock_guard lock(own_.lock);
      arrived.swap(own_.blocks);
    }
    for (Block& b : arrived) free_here(b);
  }

  // One block of every class, held together.
  void every_class() {
    std::vector<Block> blocks;
    for (size_t size = 0; size <= o_.settings.max_class; size += class_step) {
      blocks.push_back({static_cast<unsigned char*>(pool::allocate(size)), size, (uint64_t{id_} << 40) | ++count_});
      expect_class_block(blocks.back(), size);
      fill(blocks.back());
    }
    for (Block& b : blocks) free_here(b);
  }

  const Options& o_;
  unsigned id_;
  Inbox& own_;
  Inbox& next_;
  std::minstd_rand rng_;
  std::vector<Block> live_;
  uint64_t count_ = 0;
};

void wave(const Options& o) {
  std::vector<Inbox> inboxes(o.threads);
  std::vector<Worker> workers;
  for (unsigned t = 0; t < o.threads; ++t) workers.emplace_back(o, t, inboxes[t], inboxes[(t + 1) % o.threads]);
  auto all = [&](void (Worker::*step)()) {
    std::vector<std::thread> threads;
    for (Worker& w : workers) threads.emplace_back([&w, step] { (w.*step)(); });
    for (auto& t : threads) t.join();
  };
  all(&Worker::run);
  all(&Worker::finish);
}

size_t number(const char* flag, const char* text) {
  char* end = nullptr;
  unsigned long long v = std::strtoull(text, &end, 10);
  if (!*text || *end) fault(std::string(flag) + ": expected a number, got '" + text + "'");
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    size_t v = number(argv[i], argv[i + 1]);
    if (flag == "--threads") o.threads = static_cast<unsigned>(v);
    else if (flag == "--waves") o.waves = static_cast<unsigned>(v);
    else if (flag == "--ops") o.ops = static_cast<unsigned>(v);
    else if (flag == "--max-class") o.settings.max_class = v;
    else if (flag == "--chunk-bytes") o.settings.chunk_bytes = v;
    else if (flag == "--thread-cache") o.settings.thread_cache = v;
    else if (flag == "--expect-full-range") o.expect_full_range = v;
    else fault("unknown flag " + flag);
  }
  if (!pool::init(o.settings, {::malloc, ::calloc, ::realloc, ::memalign, ::free, ::malloc_usable_size}))
    fault("cannot reserve the pool's range");
  for (unsigned w = 0; w < o.waves; ++w) wave(o);

  pool::Stats s = pool::stats();
  std::printf("pool_stress: %u threads x %u waves x %u ops: %zu bytes mapped, %zu carved, %zu in free lists, %zu in "
              "thread caches\n",
              o.threads, o.waves, o.ops, s.chunk_bytes, s.carved_bytes, s.free_list_bytes, s.thread_cache_bytes);
  if (s.chunk_bytes % o.settings.chunk_bytes) fault("the mapped bytes are not whole chunks");
  if (s.thread_cache_bytes != 0) fault("blocks are left in the caches of threads that exited");
  if (s.carved_bytes == 0) fault("the pool served nothing");
  if (s.caches_mapped > o.threads) fault(std::to_string(s.caches_mapped) + " thread caches for " +
                                         std::to_string(o.threads) + " threads at a time: exited threads' are not reused");
  if (s.free_list_bytes != s.carved_bytes) fault("blocks carved are not all back in the free lists");
  if ((s.fallback_bytes > 0) != o.expect_full_range)
    fault(std::to_string(s.fallback_bytes) + " bytes of classes with no chunk left went to the fallback");
  return 0;
}
