#include "counting/counting.hpp"

#include <mutex>
#include <type_traits>

namespace allocbench::counting {

constinit thread_local ThreadCounters this_thread;
bool enabled_flag = true;

namespace {

constexpr int64_t half_quantum = quantum / 2;
constexpr int64_t always_slow_peak = std::numeric_limits<int64_t>::min();
constexpr int64_t always_slow_lower = std::numeric_limits<int64_t>::max();

// Shared state, touched only by slow paths and phase boundaries.
struct Shared {
  std::mutex lock;                    // guards the registry and the retired_* totals
  ThreadCounters* threads = nullptr;  // registered threads that have not exited
  int64_t retired_allocs = 0, retired_frees = 0, retired_bytes = 0;
  int64_t retired_active = 0;         // threads that counted in this phase and then exited
  std::atomic<int64_t> live{0};       // Σ published live, exited threads included
  std::atomic<int64_t> peak{0};
  std::atomic<int64_t> unsized_frees{0};
  Snapshot at_phase_start;
};
// Never destroyed: operator delete keeps counting while the process exits.
static_assert(std::is_trivially_destructible_v<Shared>);
constinit Shared shared;

int64_t ops(const ThreadCounters& c) {
  return c.allocs.load(std::memory_order_relaxed) + c.frees.load(std::memory_order_relaxed);
}

void raise_peak(int64_t candidate) {
  int64_t seen = shared.peak.load(std::memory_order_relaxed);
  while (candidate > seen && !shared.peak.compare_exchange_weak(seen, candidate, std::memory_order_relaxed)) {
  }
}

// Adds the thread's drift to the shared counter. The thread's highest live since its
// last publish happened while the shared counter held (exactly so with one allocating
// thread) what it holds before this add: their sum is a candidate for the peak.
void publish(ThreadCounters& c) {
  int64_t live = c.live.load(std::memory_order_relaxed);
  int64_t published = c.published.load(std::memory_order_relaxed);
  int64_t high = std::max(live, c.local_peak.load(std::memory_order_relaxed));
  int64_t before = shared.live.fetch_add(live - published, std::memory_order_relaxed);
  raise_peak(before + (high - published));
  c.published.store(live, std::memory_order_relaxed);
  c.local_peak.store(live, std::memory_order_relaxed);
  c.lower.store(live - half_quantum, std::memory_order_relaxed);
}

void retire(ThreadCounters& c);

// Folds the thread into the totals when it exits. Armed once per thread from the slow
// path, so that the hot path carries no guard for a thread_local destructor.
struct RetireAtExit {
  ~RetireAtExit() { retire(this_thread); }
};
thread_local RetireAtExit retire_at_exit;

void register_thread(ThreadCounters& c) {
  (void)&retire_at_exit;  // odr-use: arms its destructor for this thread
  std::lock_guard g(shared.lock);
  c.next = shared.threads;
  shared.threads = &c;
  c.registered = true;
}

void retire(ThreadCounters& c) {
  std::lock_guard g(shared.lock);
  publish(c);
  for (auto** p = &shared.threads; *p; p = &(*p)->next) {
    if (*p == &c) {
      *p = c.next;
      break;
    }
  }
  if (ops(c) != c.ops_at_phase_start) ++shared.retired_active;
  shared.retired_allocs += c.allocs.exchange(0, std::memory_order_relaxed);
  shared.retired_frees += c.frees.exchange(0, std::memory_order_relaxed);
  shared.retired_bytes += c.bytes.exchange(0, std::memory_order_relaxed);
  // Whatever the thread still does (other thread_local destructors) takes the slow path.
  c.retired = true;
  c.local_peak.store(always_slow_peak, std::memory_order_relaxed);
  c.lower.store(always_slow_lower, std::memory_order_relaxed);
}

// An exiting thread counts straight into the totals.
void count_retired(ThreadCounters& c) {
  std::lock_guard g(shared.lock);
  shared.retired_allocs += c.allocs.exchange(0, std::memory_order_relaxed);
  shared.retired_frees += c.frees.exchange(0, std::memory_order_relaxed);
  shared.retired_bytes += c.bytes.exchange(0, std::memory_order_relaxed);
  publish(c);
  c.local_peak.store(always_slow_peak, std::memory_order_relaxed);
  c.lower.store(always_slow_lower, std::memory_order_relaxed);
}

template <typename F>
void for_each_thread(F f) {
  for (auto* t = shared.threads; t; t = t->next) f(*t);
}

}  // namespace

void slow_path(ThreadCounters& c) {
  if (c.retired) return count_retired(c);
  if (!c.registered) {
    register_thread(c);
    return publish(c);
  }
  int64_t drift = c.live.load(std::memory_order_relaxed) - c.published.load(std::memory_order_relaxed);
  if (drift > half_quantum || drift < -half_quantum) return publish(c);
  // A new local high within the quantum: remember it; only a higher one comes back here.
  c.local_peak.store(c.live.load(std::memory_order_relaxed), std::memory_order_relaxed);
}

void on_unsized_free() { shared.unsized_frees.fetch_add(1, std::memory_order_relaxed); }
int64_t unsized_frees() { return shared.unsized_frees.load(std::memory_order_relaxed); }

void set_enabled(bool on) { enabled_flag = on; }

int64_t published_live_bytes() { return shared.live.load(std::memory_order_relaxed); }

Snapshot snapshot() {
  std::lock_guard g(shared.lock);
  Snapshot s{shared.retired_allocs, shared.retired_frees, shared.retired_bytes,
             shared.live.load(std::memory_order_relaxed)};
  for_each_thread([&](const ThreadCounters& t) {
    s.allocs += t.allocs.load(std::memory_order_relaxed);
    s.frees += t.frees.load(std::memory_order_relaxed);
    s.bytes_allocated += t.bytes.load(std::memory_order_relaxed);
    s.live_bytes += t.live.load(std::memory_order_relaxed) - t.published.load(std::memory_order_relaxed);
  });
  return s;
}

// Publishes every (quiescent) thread: the shared live count becomes exact, and every
// thread's local high restarts from its current live.
void begin_phase() {
  {
    std::lock_guard g(shared.lock);
    for_each_thread([](ThreadCounters& t) {
      publish(t);
      t.ops_at_phase_start = ops(t);
    });
    shared.retired_active = 0;
    shared.peak.store(shared.live.load(std::memory_order_relaxed), std::memory_order_relaxed);
  }
  shared.at_phase_start = snapshot();
}

PhaseCounts end_phase() {
  int64_t active = 0;
  {
    std::lock_guard g(shared.lock);
    active = shared.retired_active;
    for_each_thread([&](ThreadCounters& t) {
      publish(t);
      if (ops(t) != t.ops_at_phase_start) ++active;
    });
  }
  Snapshot now = snapshot();
  const Snapshot& start = shared.at_phase_start;
  return PhaseCounts{now.allocs - start.allocs, now.frees - start.frees,
                     now.bytes_allocated - start.bytes_allocated, shared.peak.load(std::memory_order_relaxed),
                     active > 1 ? active * quantum : 0};
}

}  // namespace allocbench::counting
