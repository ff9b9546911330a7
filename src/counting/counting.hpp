// The counting wrapper's bookkeeping: allocations, frees, bytes, live and peak live
// bytes of every thread, cheap enough not to change what it measures.
//
// Each thread counts in its own block (thread-local, owner-written, relaxed atomics so
// that a phase boundary may read them). A thread publishes its live-byte drift to the
// shared counter only when the drift leaves ±quantum/2, so threads never contend on
// the hot path. The shared peak is therefore exact with one allocating thread, and off
// by at most threads × quantum with several (peak_error_bound()).
//
// Phase boundaries (begin_phase/end_phase) must be called while no other thread
// allocates: workloads hold their threads at a barrier there.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace allocbench::counting {

inline constexpr int64_t quantum = 64 * 1024;

struct Snapshot {
  int64_t allocs = 0;
  int64_t frees = 0;
  int64_t bytes_allocated = 0;
  int64_t live_bytes = 0;  // exact, all threads
};

// What happened between begin_phase() and end_phase().
struct PhaseCounts {
  int64_t allocs = 0;
  int64_t frees = 0;
  int64_t bytes_allocated = 0;
  int64_t peak_live_bytes = 0;  // live bytes of the whole process at the phase's peak
  int64_t peak_error_bound = 0; // |reported − true peak| ≤ this
};

// One per thread. Only the owner writes; relaxed loads/stores compile to plain moves.
struct alignas(64) ThreadCounters {
  std::atomic<int64_t> allocs{0};
  std::atomic<int64_t> frees{0};
  std::atomic<int64_t> bytes{0};
  std::atomic<int64_t> live{0};
  // Past these bounds the slow path runs. Above local_peak: a new local high, or a
  // publish when the drift exceeds quantum/2; below lower: a publish. Both start so
  // that the thread's first call takes the slow path, which registers the thread.
  std::atomic<int64_t> local_peak{std::numeric_limits<int64_t>::min()};  // highest live since the last publish
  std::atomic<int64_t> lower{std::numeric_limits<int64_t>::max()};
  std::atomic<int64_t> published{0};  // live as last added to the shared counter
  // Below: touched only by the slow path and phase boundaries, under the registry lock.
  ThreadCounters* next = nullptr;
  int64_t ops_at_phase_start = 0;
  bool registered = false;
  bool retired = false;  // the thread is exiting: count straight into the totals
};

extern constinit thread_local ThreadCounters this_thread;
extern bool enabled_flag;

void slow_path(ThreadCounters& c);

inline void bump(std::atomic<int64_t>& v, int64_t by) {
  v.store(v.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

inline void on_alloc(size_t n) {
  ThreadCounters& c = this_thread;
  bump(c.allocs, 1);
  bump(c.bytes, static_cast<int64_t>(n));
  int64_t live = c.live.load(std::memory_order_relaxed) + static_cast<int64_t>(n);
  c.live.store(live, std::memory_order_relaxed);
  if (live > c.local_peak.load(std::memory_order_relaxed)) [[unlikely]]
    slow_path(c);
}

inline void on_free(size_t n) {
  ThreadCounters& c = this_thread;
  bump(c.frees, 1);
  int64_t live = c.live.load(std::memory_order_relaxed) - static_cast<int64_t>(n);
  c.live.store(live, std::memory_order_relaxed);
  if (live < c.lower.load(std::memory_order_relaxed)) [[unlikely]]
    slow_path(c);
}

// A free whose size the caller did not pass (unsized operator delete): counted, but
// live bytes cannot be corrected. Reported so that a workload doing this is noticed.
void on_unsized_free();
int64_t unsized_frees();

inline bool enabled() { return enabled_flag; }
void set_enabled(bool on);  // before any thread but main exists

// Live bytes as the threads last published them: exact single-threaded, within
// threads × quantum otherwise. Safe to read from any thread at any time.
int64_t published_live_bytes();

// Exact totals since the process started; call while other threads are quiescent.
Snapshot snapshot();
void begin_phase();
PhaseCounts end_phase();

}  // namespace allocbench::counting
