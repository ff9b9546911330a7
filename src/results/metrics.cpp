#include "results/metrics.hpp"

#include "common/call_kinds.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <limits>
#include <string>

namespace allocbench {

namespace {

// run --latency: the same figures for each kind of call (common/call_kinds.hpp), "{}" its name.
struct LatencyFigure {
  std::string_view suffix, unit, meaning;
};
constexpr LatencyFigure latency_figures[] = {
    {"calls_timed", "count", "{} calls timed in the phase"},
    {"sum_ns", "ns", "time in all the {} calls timed, the timer's cost taken off"},
    {"p50_ns", "ns", "median time of one {} call"},
    {"p90_ns", "ns", "90th percentile time of one {} call"},
    {"p99_ns", "ns", "99th percentile time of one {} call"},
    {"p999_ns", "ns", "99.9th percentile time of one {} call"},
    {"p9999_ns", "ns", "99.99th percentile time of one {} call"},
    {"max_ns", "ns", "slowest time of one {} call"},
    {"faulted_calls", "count", "{} calls during which the thread page-faulted"},
    {"p999_faulted_share", "ratio", "share of the {} calls at or beyond p99.9 that page-faulted"},
    {"p9999_faulted_share", "ratio", "share of the {} calls at or beyond p99.99 that page-faulted"},
};

std::vector<MetricInfo> latency_metrics() {
  static std::deque<std::string> text;  // the generated names and meanings: never moved
  std::vector<MetricInfo> out;
  for (std::string_view kind : call_kinds)
    for (const LatencyFigure& f : latency_figures) {
      std::string_view name = text.emplace_back(fmt::format("{}_{}", kind, f.suffix));
      std::string_view meaning = text.emplace_back(fmt::format(fmt::runtime(f.meaning), kind) + " (--latency)");
      out.push_back({name, f.unit, Better::lower, Determinism::never, Source::latency, meaning, true});
    }
  return out;
}

const MetricInfo* band_metric(std::string_view name) {
  static const MetricInfo calls{"KIND_BAND_calls_timed", "count", Better::lower, Determinism::never, Source::latency,
                                "calls of one kind and size band timed in the phase (--latency)", true};
  static const MetricInfo time{"KIND_BAND_FIGURE_ns", "ns", Better::lower, Determinism::never, Source::latency,
                               "a percentile time of the calls of one kind and size band (--latency)", true};
  auto take = [&name](std::string_view part) {
    bool found = name.starts_with(part) && name.size() > part.size() && name[part.size()] == '_';
    if (found) name.remove_prefix(part.size() + 1);
    return found;
  };
  if (std::none_of(call_kinds.begin(), call_kinds.end(), take) || std::none_of(size_bands.begin(), size_bands.end(), take))
    return nullptr;
  if (name == band_figures[0]) return &calls;
  return std::find(band_figures.begin(), band_figures.end(), name) != band_figures.end() ? &time : nullptr;
}

}  // namespace

const std::vector<MetricInfo>& metric_table() {
  using enum Better;
  using enum Determinism;
  using enum Source;
  static const std::vector<MetricInfo> table = [] {
    std::vector<MetricInfo> all{
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
    };
    std::vector<MetricInfo> per_kind = latency_metrics();
    all.insert(all.end(), per_kind.begin(), per_kind.end());
    all.insert(all.end(), {
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
    });
    return all;
  }();
  return table;
}

const MetricInfo* find_metric(std::string_view name) {
  static const MetricInfo allocator_stat{"allocator.*", "bytes", Better::lower, Determinism::never, Source::timed,
                                         "the allocator's own statistic at the end of the phase"};
  for (const auto& m : metric_table())
    if (m.name == name) return &m;
  if (name.size() > allocator_stat_prefix.size() && name.substr(0, allocator_stat_prefix.size()) == allocator_stat_prefix)
    return &allocator_stat;
  return band_metric(name);
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
