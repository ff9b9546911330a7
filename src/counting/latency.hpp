// run --latency: the time of every allocator call of the phase, in log-linear histograms
// (HdrHistogram's layout, written here: Debian has no package of it), one per operation
// kind per thread, merged at the end.
//
// The clock is the TSC where it is invariant (a constant rate, not stopped in idle
// states), read as lfence; rdtsc before the call and rdtscp; lfence after it, and
// calibrated against CLOCK_MONOTONIC; otherwise clock_gettime(CLOCK_MONOTONIC). The
// timer's own cost (the median of empty intervals) is measured at start and subtracted.
//
// A histogram keeps 2048 exact values, then 1024 buckets per doubling: every value within
// 0.1% (three significant digits), up to 2^41 ticks, in 128 KiB per kind and thread (six:
// all calls, the faulted ones, and one per size band), mapped with mmap (never malloc:
// the counting wrapper would see it) before the thread's first timed call. Pages of
// buckets no call reached are never touched, so never resident.
//
// Each thread also keeps its 16 slowest calls with their size and whether they faulted:
// the sample the report names the tail by.
//
// Where the tail comes from: each thread opens a perf software event on its own page
// faults, one record per fault in a ring mapped into the process. A call during which the
// ring's head moved page-faulted; a second histogram per kind counts those calls, so the
// report can say what share of the calls as slow as a percentile or slower faulted.
// Reading the head is a load before and after the call, outside the timed interval; the
// kernel's writing of a record is inside it, and adds to each faulting call. Where any
// thread's perf event is refused, nothing is said about faults.
#pragma once

#include "common/call_kinds.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <vector>
#include <x86intrin.h>

namespace allocbench::latency {

// In call_kinds' order. Operator new and new[] time as malloc (aligned ones as aligned),
// delete as free; a replay's malloc family as itself (posix_memalign, aligned_alloc and
// memalign as aligned).
enum class Op : uint8_t { malloc, free, realloc, calloc, aligned };
inline constexpr size_t op_count = call_kinds.size();

inline constexpr size_t band_count = size_bands.size();
inline constexpr size_t no_band = band_count;  // a call of unknown size

struct Clock {
  bool tsc = false;         // false: clock_gettime
  double ns_per_tick = 1;   // 1 with clock_gettime
  double overhead_ticks = 0;  // the median empty interval
  double resolution_ticks = 1;  // the smallest step between two reads
};
const Clock& timer();  // valid after calibrate()

extern std::atomic<bool> timing;  // set between start() and stop(): the measured phase

inline uint64_t tsc_begin() {
  _mm_lfence();  // earlier instructions done: the call starts after the read
  return __rdtsc();
}
inline uint64_t tsc_end() {
  unsigned aux;
  uint64_t t = __rdtscp(&aux);  // waits for the call to finish
  _mm_lfence();
  return t;
}
uint64_t monotonic_ns();

inline uint64_t now() { return timer().tsc ? tsc_begin() : monotonic_ns(); }
inline uint64_t after() { return timer().tsc ? tsc_end() : monotonic_ns(); }

// Before a timed call: this thread's page faults so far, as a mark (0 without perf events).
uint64_t fault_mark();
// Adds one call of `size` bytes (0: unknown) to this thread's histograms of `op`, and to
// its faulted one if the thread page-faulted since `mark`.
void record(Op op, size_t size, uint64_t ticks, uint64_t mark);

// Chooses and calibrates the clock (about 20 ms), before the workload's setup.
void calibrate();
void start();
void stop();

struct Percentiles {
  uint64_t count = 0;
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, p9999 = 0, max = 0;  // ns, the timer's cost taken off
  double sum = 0;  // ns in all the calls, each less the timer's cost (from the buckets: within 0.1%)
  // With perf events on every thread: the calls that page-faulted, and their share of the
  // calls in p99.9's (p99.99's) histogram bucket or slower.
  bool faults_seen = false;
  uint64_t faulted = 0;
  double faulted_share_p999 = 0, faulted_share_p9999 = 0;
};
// Over every thread's timed calls of `op`, or of those in one size band (then without
// the fault figures).
Percentiles percentiles(Op op, size_t band = no_band);

struct SlowCall {
  Op op;
  size_t size;      // 0: unknown
  unsigned thread;  // in the order the threads made their first timed call, from 0
  double ns;        // the timer's cost taken off
  int faulted;      // 1 or 0; -1 where the thread's perf event was refused
};
// The `n` slowest calls of every thread, slowest first.
std::vector<SlowCall> slowest(size_t n);

// Times `call`, of `size` bytes (0: unknown), when timing is on. `op` is recorded after
// the second clock read.
template <typename Call>
inline auto timed(Op op, size_t size, Call call) {
  if (!timing.load(std::memory_order_relaxed)) return call();
  uint64_t faults = fault_mark();
  uint64_t t0 = now();
  if constexpr (std::is_void_v<decltype(call())>) {
    call();
    record(op, size, after() - t0, faults);
  } else {
    auto result = call();
    record(op, size, after() - t0, faults);
    return result;
  }
}

}  // namespace allocbench::latency
