// A real program for the record/replay tests: THREADS workers allocate with every call
// the recorder knows and hand a share of their objects to the next worker, which frees
// them (cross-thread frees). Prints the calls it made itself, for the tests to check
// the trace against.
//
//   alloc_threads THREADS OPS [normal|exit-from-thread|abort|fork]
#include <sys/wait.h>
#include <unistd.h>

#include <malloc.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <vector>

namespace {

struct alignas(64) CacheLine {
  char bytes[64];
};

// One mailbox per worker: objects another worker allocated, for this one to free. Its
// storage is reserved before the workers start, so that the program's allocations are
// the same in every run however its threads interleave (cli.command counts them).
struct Mailbox {
  std::mutex lock;
  std::vector<void*> objects;  // [taken, size()) are waiting
  size_t taken = 0;
};

// The compiler may remove an allocation whose memory is never used: this one is.
template <typename T>
T* escape(T* p) {
  asm volatile("" : : "r"(p) : "memory");
  return p;
}

std::atomic<long> mallocs{0}, callocs{0}, reallocs{0}, memaligns{0}, news{0}, handed_over{0};
std::atomic<unsigned> under_way{0};  // workers past their first 100 iterations

void work(unsigned me, unsigned threads, long ops, std::vector<Mailbox>& boxes, const std::string& mode) {
  std::vector<void*> mine;
  void* growing = nullptr;
  size_t growing_size = 16;
  for (long i = 0; i < ops; ++i) {
    size_t size = 16 + static_cast<size_t>((i * 37 + me * 11) % 500);
    void* p = escape(std::malloc(size));
    std::memset(p, 1, size);
    ++mallocs;
    if (i % 4 == 0 && threads > 1) {
      Mailbox& next = boxes[(me + 1) % threads];
      std::lock_guard<std::mutex> hold(next.lock);
      next.objects.push_back(p);
      ++handed_over;
    } else {
      mine.push_back(p);
    }
    if (i % 8 == 0) {
      auto* zeroed = escape(static_cast<char*>(std::calloc(4, 32)));
      ++callocs;
      std::free(zeroed);
    }
    if (i % 16 == 0) {
      growing_size = growing_size > 65536 ? 16 : growing_size * 2;
      growing = std::realloc(growing, growing_size);
      ++reallocs;
    }
    if (i % 32 == 0) {
      void* aligned = nullptr;
      if (posix_memalign(&aligned, 256, 1000) == 0) std::free(escape(aligned));
      ++memaligns;
      auto* line = escape(new CacheLine);  // aligned operator new
      auto* numbers = escape(new long[size / 8]);
      news += 2;
      numbers[0] = line->bytes[0] = 1;
      delete line;
      delete[] numbers;
    }
    if (mine.size() > 64) {
      std::free(mine.front());
      mine.erase(mine.begin());
    }
    {
      Mailbox& box = boxes[me];
      std::lock_guard<std::mutex> hold(box.lock);
      for (; box.taken < box.objects.size(); ++box.taken) std::free(box.objects[box.taken]);
    }
    if (i == 100) ++under_way;
    if (mode == "exit-from-thread" && me == threads - 1 && i == ops / 2) {
      while (under_way.load() < threads) std::this_thread::yield();  // every worker is allocating
      std::printf("exiting from a worker thread\n");
      std::fflush(stdout);
      std::exit(0);  // the other threads are still allocating
    }
  }
  for (void* p : mine) std::free(p);
  std::free(growing);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: alloc_threads THREADS OPS [normal|exit-from-thread|abort|fork]\n");
    return 2;
  }
  unsigned threads = static_cast<unsigned>(std::atoi(argv[1]));
  long ops = std::atol(argv[2]);
  std::string mode = argc > 3 ? argv[3] : "normal";

  std::vector<Mailbox> boxes(threads ? threads : 1);
  for (auto& box : boxes) box.objects.reserve(static_cast<size_t>(ops / 4 + 1));
  if (threads == 0) {
    work(0, 1, ops, boxes, mode);  // on the main thread alone
  } else {
    std::vector<std::thread> workers;
    for (unsigned t = 0; t < threads; ++t) workers.emplace_back(work, t, threads, ops, std::ref(boxes), mode);
    for (auto& w : workers) w.join();
  }
  for (auto& box : boxes)
    for (; box.taken < box.objects.size(); ++box.taken) std::free(box.objects[box.taken]);

  if (mode == "fork") {
    pid_t child = fork();
    if (child == 0) {
      void* p = std::malloc(12345);  // the child's own allocation
      std::free(p);
      execlp("true", "true", nullptr);
      _exit(127);
    }
    waitpid(child, nullptr, 0);
  }
  std::printf("malloc %ld calloc %ld realloc %ld posix_memalign %ld new %ld handed_over %ld\n", mallocs.load(),
              callocs.load(), reallocs.load(), memaligns.load(), news.load(), handed_over.load());
  std::fflush(stdout);
  if (mode == "abort") std::abort();
  return 0;
}
