#include "counting/latency.hpp"

#include "common/cpu_info.hpp"

#include <linux/perf_event.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmath>
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

constexpr size_t kept_slow = 16;  // per thread

struct Slow {
  uint64_t ticks, size;
  Op op;
  int8_t faulted;  // -1: unknown
};

struct Histograms {  // one thread's, mapped outside the heap
  uint32_t counts[op_count][buckets];
  uint32_t faulted[op_count][buckets];  // the calls during which the thread page-faulted
  uint32_t banded[op_count][band_count][buckets];
  uint64_t max[op_count];
  uint64_t band_max[op_count][band_count];
  uint64_t unprobed[op_count];   // calls timed without a ring (this thread's perf event refused)
  Slow slow[kept_slow];          // the slowest calls so far; unused ones are 0 ticks
  size_t fastest_slow;           // the index of the fastest of them: a call must beat it
  unsigned thread;
  perf_event_mmap_page* faults;  // the ring of this thread's page faults; null without perf events
  Histograms* next;
};

Clock the_clock;
std::mutex registry_lock;
Histograms* registry = nullptr;  // every thread's, kept to the end of the process
thread_local Histograms* mine = nullptr;

// A software event on this thread's page faults, one header-only record per fault, in a
// ring of one data page: only whether its head moved during a call matters, and it moves
// on a call's first fault even when the ring then fills. (Each thread's ring is locked
// memory, within perf_event_mlock_kb.) The mapping keeps the event alive, so its
// descriptor is closed at once.
perf_event_mmap_page* open_fault_ring() {
  perf_event_attr attr{};
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_PAGE_FAULTS;
  attr.sample_period = 1;
  attr.exclude_kernel = 1;  // faults in user code (a call's own); allowed unprivileged
  attr.exclude_hv = 1;
  int fd = static_cast<int>(::syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC));
  if (fd < 0) return nullptr;
  size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  void* ring = ::mmap(nullptr, page * 2, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ::close(fd);
  if (ring == MAP_FAILED) return nullptr;
  return static_cast<perf_event_mmap_page*>(ring);
}

Histograms* map_histograms() {
  void* p = ::mmap(nullptr, sizeof(Histograms), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  auto* h = static_cast<Histograms*>(p);  // zeroed by the kernel
  h->faults = open_fault_ring();
  std::lock_guard lock(registry_lock);
  h->thread = registry ? registry->thread + 1 : 0;
  h->next = registry;
  registry = h;
  return h;
}

uint64_t ring_head(perf_event_mmap_page* ring) { return __atomic_load_n(&ring->data_head, __ATOMIC_ACQUIRE); }

void keep_slow(Histograms& h, const Slow& call) {
  h.slow[h.fastest_slow] = call;
  for (size_t i = 0; i < kept_slow; ++i)
    if (h.slow[i].ticks < h.slow[h.fastest_slow].ticks) h.fastest_slow = i;
}

double ns(double ticks) { return std::max(0.0, ticks - the_clock.overhead_ticks) * the_clock.ns_per_tick; }

}  // namespace

const Clock& timer() { return the_clock; }

uint64_t monotonic_ns() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t fault_mark() {
  if (!mine) [[unlikely]] {
    mine = map_histograms();
    if (!mine) return 0;
  }
  if (!mine->faults) return 0;
  // Consumed up to here, so that faults outside the calls never fill the ring.
  uint64_t head = ring_head(mine->faults);
  __atomic_store_n(&mine->faults->data_tail, head, __ATOMIC_RELEASE);
  return head;
}

void record(Op op, size_t size, uint64_t ticks, uint64_t mark) {
  if (!mine) [[unlikely]]
    return;  // fault_mark could not map this thread's histograms
  // Read first: touching the histograms' pages may fault too, after the call.
  bool faulted = mine->faults && ring_head(mine->faults) != mark;
  auto k = static_cast<size_t>(op);
  if (!mine->faults) ++mine->unprobed[k];
  size_t b = bucket_of(ticks);
  ++mine->counts[k][b];
  mine->max[k] = std::max(mine->max[k], ticks);
  if (faulted) ++mine->faulted[k][b];
  if (size_t band = band_of(size); band != no_band) {
    ++mine->banded[k][band][b];
    mine->band_max[k][band] = std::max(mine->band_max[k][band], ticks);
  }
  if (ticks > mine->slow[mine->fastest_slow].ticks) [[unlikely]]
    keep_slow(*mine, {ticks, size, op, static_cast<int8_t>(mine->faults ? faulted : -1)});
}

void calibrate() {
  // A child forked while timing has no rings (perf maps them VM_DONTCOPY): its calls go unwatched.
  static std::once_flag fork_handler;
  std::call_once(fork_handler, [] { ::pthread_atfork(nullptr, nullptr, [] { if (mine) mine->faults = nullptr; }); });
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

Percentiles percentiles(Op op, size_t band) {
  auto k = static_cast<size_t>(op);
  std::vector<uint64_t> merged(buckets), faulted(buckets);
  uint64_t max = 0, unprobed = 0;
  {
    std::lock_guard lock(registry_lock);
    for (Histograms* h = registry; h; h = h->next) {
      const uint32_t* counts = band == no_band ? h->counts[k] : h->banded[k][band];
      for (size_t b = 0; b < buckets; ++b) merged[b] += counts[b], faulted[b] += h->faulted[k][b];
      max = std::max(max, band == no_band ? h->max[k] : h->band_max[k][band]);
      unprobed += h->unprobed[k];
    }
  }
  Percentiles p;
  for (uint64_t c : merged) p.count += c;
  if (p.count == 0) return p;
  auto bucket_at = [&](double q) {  // the bucket of the call at rank ceil(q * count)
    auto rank = std::max<uint64_t>(static_cast<uint64_t>(std::ceil(q * static_cast<double>(p.count))), 1);
    uint64_t seen = 0;
    for (size_t b = 0; b < buckets; ++b)
      if ((seen += merged[b]) >= rank) return b;
    return size_t{buckets - 1};
  };
  auto at = [&](double q) { return ns(std::min(middle_of(bucket_at(q)), static_cast<double>(max))); };
  p.p50 = at(0.5), p.p90 = at(0.9), p.p99 = at(0.99), p.p999 = at(0.999), p.p9999 = at(0.9999);
  p.max = ns(static_cast<double>(max));
  for (size_t b = 0; b < buckets; ++b)
    if (merged[b]) p.sum += static_cast<double>(merged[b]) * ns(std::min(middle_of(b), static_cast<double>(max)));
  // Said only when every call was watched: a thread without a ring would undercount.
  p.faults_seen = unprobed == 0 && band == no_band;
  if (!p.faults_seen) return p;
  for (uint64_t c : faulted) p.faulted += c;
  auto faulted_share = [&](double q) {  // of the calls in the percentile's bucket and beyond
    uint64_t all = 0, with_fault = 0;
    for (size_t b = bucket_at(q); b < buckets; ++b) all += merged[b], with_fault += faulted[b];
    return all ? static_cast<double>(with_fault) / static_cast<double>(all) : 0.0;
  };
  p.faulted_share_p999 = faulted_share(0.999);
  p.faulted_share_p9999 = faulted_share(0.9999);
  return p;
}

std::vector<SlowCall> slowest(size_t n) {
  std::vector<SlowCall> all;
  {
    std::lock_guard lock(registry_lock);
    for (Histograms* h = registry; h; h = h->next)
      for (const Slow& s : h->slow)
        if (s.ticks) all.push_back({s.op, s.size, h->thread, ns(static_cast<double>(s.ticks)), s.faulted});
  }
  std::sort(all.begin(), all.end(), [](const SlowCall& a, const SlowCall& b) { return a.ns > b.ns; });
  if (all.size() > n) all.resize(n);
  return all;
}

}  // namespace allocbench::latency
