// The cross-thread pattern of xmalloc-test (Lever and Boreham, as mimalloc-bench runs it):
// PAIRS producer threads only allocate, in batches of 4096 objects of mixed small sizes,
// and hand each whole batch through one mutex-protected list to PAIRS consumer threads,
// which only free. A fixed amount of work (BATCHES per producer), so it can be timed
// under each allocator (`allocbench run --workload 'cmd:xmalloc_pattern 1 400'`) and set
// beside pool-contention, whose threads both allocate and free, one message at a time.
//
//   xmalloc_pattern PAIRS BATCHES
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace {

constexpr size_t batch_size = 4096;
constexpr size_t sizes[] = {8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512};

struct Batch {
  void* objects[batch_size];
};

std::mutex lock;
std::condition_variable ready;
std::deque<Batch*> batches;
unsigned producers_left;

void produce(unsigned me, long count) {
  unsigned seed = me * 2654435761u + 1;
  for (long b = 0; b < count; ++b) {
    auto* batch = new Batch;
    for (void*& p : batch->objects) {
      seed = seed * 1103515245u + 12345u;
      size_t size = sizes[(seed >> 16) % (sizeof sizes / sizeof sizes[0])];
      p = std::malloc(size);
      static_cast<char*>(p)[0] = static_cast<char>(size);
    }
    std::lock_guard hold(lock);
    batches.push_back(batch);
    ready.notify_one();
  }
  std::lock_guard hold(lock);
  if (--producers_left == 0) ready.notify_all();
}

long consume() {
  long freed = 0;
  for (;;) {
    Batch* batch;
    {
      std::unique_lock hold(lock);
      ready.wait(hold, [] { return !batches.empty() || producers_left == 0; });
      if (batches.empty()) return freed;
      batch = batches.front();
      batches.pop_front();
    }
    for (void* p : batch->objects) std::free(p);
    freed += batch_size;
    delete batch;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: xmalloc_pattern PAIRS BATCHES\n");
    return 2;
  }
  unsigned pairs = static_cast<unsigned>(std::atoi(argv[1]));
  long count = std::atol(argv[2]);
  if (pairs < 1 || count < 1) {
    std::fprintf(stderr, "xmalloc_pattern: PAIRS and BATCHES must be at least 1\n");
    return 2;
  }
  producers_left = pairs;
  std::vector<std::thread> threads;
  std::vector<long> freed(pairs);
  for (unsigned i = 0; i < pairs; ++i) {
    threads.emplace_back(produce, i, count);
    threads.emplace_back([&freed, i] { freed[i] = consume(); });
  }
  for (auto& t : threads) t.join();
  long total = 0;
  for (long f : freed) total += f;
  std::printf("%ld objects allocated by %u producers, freed by %u consumers\n", total, pairs, pairs);
  return total == static_cast<long>(pairs) * count * static_cast<long>(batch_size) ? 0 : 1;
}
