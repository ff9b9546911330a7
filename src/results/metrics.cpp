#include "results/metrics.hpp"

#include <limits>

namespace allocbench {

const std::vector<MetricInfo>& metric_table() {
  using enum Better;
  using enum Determinism;
  using enum Source;
  static const std::vector<MetricInfo> table{
      {"wall_ns", "ns", lower, never, timed, "steady-clock time of the measured phase"},
      {"cpu_user_ns", "ns", lower, never, timed, "user CPU time of all threads"},
      {"cpu_sys_ns", "ns", lower, never, timed, "system CPU time of all threads"},
      {"ops_per_s", "1/s", higher, never, timed, "workload operations per second of wall time"},
      {"instructions", "count", lower, single_threaded, simulated, "instructions of the measured phase (callgrind Ir)"},
      {"est_cycles", "count", lower, single_threaded, simulated,
       "L1 hits + 5 x LL hits + 35 x RAM accesses, from the simulated caches"},
      {"l1_misses", "count", lower, single_threaded, simulated, "first-level cache misses, instructions and data"},
      {"ll_misses", "count", lower, single_threaded, simulated, "last-level cache misses, instructions and data"},
      {"peak_live_bytes", "bytes", lower, single_threaded, counted, "most bytes requested and not yet freed at once"},
      {"allocs", "count", lower, always, counted, "operator new calls"},
      {"frees", "count", lower, always, counted, "operator delete calls"},
      {"bytes_allocated", "bytes", lower, always, counted, "bytes requested in total"},
      {"live_bytes_at_end", "bytes", lower, always, counted, "bytes still live after teardown: a leak"},
      // The calls that give memory back to the system, seen where the allocator makes them
      // through libc (not glibc's malloc): worker/memory_syscalls.hpp.
      {"madvise_calls", "count", lower, never, counted, "madvise calls of the phase, any advice", true},
      {"madvise_bytes", "bytes", lower, never, counted, "bytes advised by madvise, any advice", true},
      {"madv_dontneed_bytes", "bytes", lower, never, counted, "bytes given back with MADV_DONTNEED (RSS falls at once)", true},
      {"madv_free_bytes", "bytes", lower, never, counted, "bytes given back with MADV_FREE (RSS falls when the kernel needs them)", true},
      {"munmap_calls", "count", lower, never, counted, "munmap calls of the phase", true},
      {"munmap_bytes", "bytes", lower, never, counted, "bytes unmapped", true},
      {"mremap_calls", "count", lower, never, counted, "mremap calls of the phase", true},
      {"return_syscalls_ns", "ns", lower, never, counted, "time spent in the madvise, munmap and mremap calls", true},
      // run --latency: every allocator call of a latency repetition's phase timed (counting/latency.hpp).
      {"malloc_calls_timed", "count", lower, never, latency, "allocation calls timed in the phase (--latency)", true},
      {"malloc_p50_ns", "ns", lower, never, latency, "median time of one allocation call (--latency)", true},
      {"malloc_p90_ns", "ns", lower, never, latency, "90th percentile time of one allocation call (--latency)", true},
      {"malloc_p99_ns", "ns", lower, never, latency, "99th percentile time of one allocation call (--latency)", true},
      {"malloc_p999_ns", "ns", lower, never, latency, "99.9th percentile time of one allocation call (--latency)", true},
      {"malloc_p9999_ns", "ns", lower, never, latency, "99.99th percentile time of one allocation call (--latency)", true},
      {"malloc_max_ns", "ns", lower, never, latency, "slowest time of one allocation call (--latency)", true},
      {"malloc_sum_ns", "ns", lower, never, latency,
       "time in all the allocation calls timed, the timer's cost taken off (--latency)", true},
      {"malloc_faulted_calls", "count", lower, never, latency,
       "allocation calls during which the thread page-faulted (--latency)", true},
      {"malloc_p999_faulted_share", "ratio", lower, never, latency,
       "share of the allocation calls at or beyond p99.9 that page-faulted (--latency)", true},
      {"malloc_p9999_faulted_share", "ratio", lower, never, latency,
       "share of the allocation calls at or beyond p99.99 that page-faulted (--latency)", true},
      {"free_calls_timed", "count", lower, never, latency, "free calls timed in the phase (--latency)", true},
      {"free_p50_ns", "ns", lower, never, latency, "median time of one free call (--latency)", true},
      {"free_p90_ns", "ns", lower, never, latency, "90th percentile time of one free call (--latency)", true},
      {"free_p99_ns", "ns", lower, never, latency, "99th percentile time of one free call (--latency)", true},
      {"free_p999_ns", "ns", lower, never, latency, "99.9th percentile time of one free call (--latency)", true},
      {"free_p9999_ns", "ns", lower, never, latency, "99.99th percentile time of one free call (--latency)", true},
      {"free_max_ns", "ns", lower, never, latency, "slowest time of one free call (--latency)", true},
      {"free_sum_ns", "ns", lower, never, latency,
       "time in all the free calls timed, the timer's cost taken off (--latency)", true},
      {"free_faulted_calls", "count", lower, never, latency,
       "free calls during which the thread page-faulted (--latency)", true},
      {"free_p999_faulted_share", "ratio", lower, never, latency,
       "share of the free calls at or beyond p99.9 that page-faulted (--latency)", true},
      {"free_p9999_faulted_share", "ratio", lower, never, latency,
       "share of the free calls at or beyond p99.99 that page-faulted (--latency)", true},
      {"latency_timer_ns", "ns", lower, never, latency, "the timer's own cost, taken off every timed call (--latency)", true},
      {"latency_resolution_ns", "ns", lower, never, latency, "the smallest step the clock reads in (--latency)", true},
      {"latency_phase_ns", "ns", lower, never, latency,
       "wall time of a latency repetition's phase, timing included (--latency)", true},
      {"peak_rss_bytes", "bytes", lower, never, timed, "highest resident set size of the process"},
      {"rss_end_bytes", "bytes", lower, never, timed, "resident set size at the end of the phase"},
      {"minor_faults", "count", lower, never, timed, "page faults served without I/O"},
      {"major_faults", "count", lower, never, timed, "page faults that needed I/O"},
      {"ctx_switches_vol", "count", lower, never, timed, "voluntary context switches (waits)"},
      {"ctx_switches_invol", "count", lower, never, timed, "involuntary context switches (preemptions)"},
      // run --idle: the memory the process keeps after teardown, as RSS less LazyFree above
      // what it held before setup, at moments of an idle after the phase.
      {"held_at_end_bytes", "bytes", lower, never, idle, "held just after teardown (--idle)"},
      {"held_after_10ms_bytes", "bytes", lower, never, idle, "held 10 ms into the idle"},
      {"held_after_100ms_bytes", "bytes", lower, never, idle, "held 100 ms into the idle"},
      {"held_after_1s_bytes", "bytes", lower, never, idle, "held 1 s into the idle"},
      {"held_after_10s_bytes", "bytes", lower, never, idle, "held 10 s into the idle"},
      {"held_after_100s_bytes", "bytes", lower, never, idle, "held 100 s into the idle"},
      {"rss_after_idle_bytes", "bytes", lower, never, idle, "held at the end of the idle (RSS less LazyFree)"},
      {"raw_rss_after_idle_bytes", "bytes", lower, never, idle, "RSS at the end of the idle, LazyFree pages included"},
      {"pss_after_idle_bytes", "bytes", lower, never, idle, "proportional set size at the end of the idle"},
      {"allocator_resident_after_idle_bytes", "bytes", lower, never, idle,
       "the allocator's own resident bytes at the end of the idle"},
      {"returned_share", "ratio", higher, never, idle, "share of what was held after teardown given back by the end of the idle"},
      {"half_returned_ns", "ns", lower, never, idle, "time into the idle (a purge included) until half of what came back had come back"},
      {"purge_ns", "ns", lower, never, idle, "time of the allocator's own release call (--idle-purge)"},
  };
  return table;
}

const MetricInfo* find_metric(std::string_view name) {
  static const MetricInfo allocator_stat{"allocator.*", "bytes", Better::lower, Determinism::never, Source::timed,
                                         "the allocator's own statistic at the end of the phase"};
  for (const auto& m : metric_table())
    if (m.name == name) return &m;
  if (name.size() > allocator_stat_prefix.size() && name.substr(0, allocator_stat_prefix.size()) == allocator_stat_prefix)
    return &allocator_stat;
  return nullptr;
}

bool deterministic(const MetricInfo& m, unsigned threads) {
  return m.determinism == Determinism::always || (m.determinism == Determinism::single_threaded && threads == 1);
}

double bad_change(const MetricInfo& m, double baseline, double current) {
  if (baseline == current) return 0;
  if (m.better == Better::lower)
    return baseline == 0 ? std::numeric_limits<double>::infinity() : current / baseline - 1;
  return current == 0 ? std::numeric_limits<double>::infinity() : baseline / current - 1;
}

}  // namespace allocbench
