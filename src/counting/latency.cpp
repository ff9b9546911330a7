#include "counting/latency.hpp"

#include "common/cpu_info.hpp"

#include <cmath>
#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <ctime>
#include <mutex>
#include <thread>
#include <vector>

namespace allocbench::latency {

std::atomic<bool> timing{false};

namespace {

constexpr unsigned exact = 2048;  // values below are their own bucket
constexpr unsigned half = exact / 2;
constexpr unsigned max_shift = 30;  // up to 2^41 ticks; above, the last bucket
constexpr unsigned buckets = exact + max_shift * half;

size_t bucket_of(uint64_t v) {
  if (v < exact) return v;
  unsigned shift = std::min<unsigned>(static_cast<unsigned>(std::bit_width(v)) - 11, max_shift);
  uint64_t top = std::min<uint64_t>(v >> shift, exact - 1);  // in [1024, 2047]
  return exact + (shift - 1) * half + (top - half);
}

double middle_of(size_t b) {  // the bucket's middle value, in ticks
  if (b < exact) return static_cast<double>(b);
  size_t shift = (b - exact) / half + 1, top = (b - exact) % half + half;
  return (static_cast<double>(top) + 0.5) * static_cast<double>(uint64_t{1} << shift);
}

struct Histograms {  // one thread's, mapped outside the heap
  uint32_t counts[op_names.size()][buckets];
  uint64_t max[op_names.size()];
  Histograms* next;
};

Clock the_clock;
std::mutex registry_lock;
Histograms* registry = nullptr;  // every thread's, kept to the end of the process
thread_local Histograms* mine = nullptr;

Histograms* map_histograms() {
  void* p = ::mmap(nullptr, sizeof(Histograms), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  auto* h = static_cast<Histograms*>(p);  // zeroed by the kernel
  std::lock_guard lock(registry_lock);
  h->next = registry;
  registry = h;
  return h;
}

}  // namespace

const Clock& timer() { return the_clock; }

uint64_t monotonic_ns() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

void record(Op op, uint64_t ticks) {
  if (!mine) [[unlikely]] {
    mine = map_histograms();
    if (!mine) return;
  }
  auto k = static_cast<size_t>(op);
  ++mine->counts[k][bucket_of(ticks)];
  mine->max[k] = std::max(mine->max[k], ticks);
}

void calibrate() {
  the_clock.tsc = invariant_tsc();
  if (the_clock.tsc) {  // ticks per ns over 20 ms of the monotonic clock
    uint64_t n0 = monotonic_ns(), t0 = tsc_begin();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    uint64_t n1 = monotonic_ns(), t1 = tsc_end();
    the_clock.ns_per_tick = static_cast<double>(n1 - n0) / static_cast<double>(t1 - t0);
  }
  std::vector<uint64_t> empty(10001);  // before the phase: the counting wrapper is not yet counting
  for (auto& e : empty) {
    uint64_t t0 = now();
    e = after() - t0;
  }
  std::nth_element(empty.begin(), empty.begin() + 5000, empty.end());
  the_clock.overhead_ticks = static_cast<double>(empty[5000]);
  uint64_t step = UINT64_MAX;  // the smallest change between reads: some virtual machines step the TSC coarsely
  for (uint64_t previous = now(), i = 0; i < 10000; ++i) {
    uint64_t t = now();
    if (t != previous) step = std::min(step, t - previous);
    previous = t;
  }
  the_clock.resolution_ticks = step == UINT64_MAX ? 1 : static_cast<double>(step);
}

void start() { timing.store(true, std::memory_order_relaxed); }

void stop() { timing.store(false, std::memory_order_relaxed); }

Percentiles percentiles(Op op) {
  auto k = static_cast<size_t>(op);
  std::vector<uint64_t> merged(buckets);
  uint64_t max = 0;
  {
    std::lock_guard lock(registry_lock);
    for (Histograms* h = registry; h; h = h->next) {
      for (size_t b = 0; b < buckets; ++b) merged[b] += h->counts[k][b];
      max = std::max(max, h->max[k]);
    }
  }
  Percentiles p;
  for (uint64_t c : merged) p.count += c;
  if (p.count == 0) return p;
  auto ns = [](double ticks) { return std::max(0.0, ticks - the_clock.overhead_ticks) * the_clock.ns_per_tick; };
  auto at = [&](double q) {  // the value of the call at rank ceil(q * count)
    auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(p.count)));
    uint64_t seen = 0;
    for (size_t b = 0; b < buckets; ++b)
      if ((seen += merged[b]) >= std::max<uint64_t>(rank, 1)) return ns(std::min(middle_of(b), static_cast<double>(max)));
    return ns(static_cast<double>(max));
  };
  p.p50 = at(0.5), p.p90 = at(0.9), p.p99 = at(0.99), p.p999 = at(0.999), p.p9999 = at(0.9999);
  p.max = ns(static_cast<double>(max));
  return p;
}

}  // namespace allocbench::latency
