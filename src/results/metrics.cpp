#include "results/metrics.hpp"

namespace allocbench {

const std::vector<MetricInfo>& metric_table() {
  static const std::vector<MetricInfo> table{
      {"wall_ns", "ns", Better::lower, false, false, "steady-clock time of the measured phase"},
      {"cpu_user_ns", "ns", Better::lower, false, false, "user CPU time of all threads"},
      {"cpu_sys_ns", "ns", Better::lower, false, false, "system CPU time of all threads"},
      {"ops_per_s", "1/s", Better::higher, false, false, "workload operations per second of wall time"},
      {"peak_live_bytes", "bytes", Better::lower, true, true, "most bytes requested and not yet freed at once"},
      {"allocs", "count", Better::lower, true, true, "operator new calls"},
      {"frees", "count", Better::lower, true, true, "operator delete calls"},
      {"bytes_allocated", "bytes", Better::lower, true, true, "bytes requested in total"},
      {"live_bytes_at_end", "bytes", Better::lower, true, true, "bytes still live after teardown: a leak"},
      {"peak_rss_bytes", "bytes", Better::lower, false, false, "highest resident set size of the process"},
      {"rss_end_bytes", "bytes", Better::lower, false, false, "resident set size at the end of the phase"},
      {"minor_faults", "count", Better::lower, false, false, "page faults served without I/O"},
      {"major_faults", "count", Better::lower, false, false, "page faults that needed I/O"},
      {"ctx_switches_vol", "count", Better::lower, false, false, "voluntary context switches (waits)"},
      {"ctx_switches_invol", "count", Better::lower, false, false, "involuntary context switches (preemptions)"},
  };
  return table;
}

const MetricInfo* find_metric(std::string_view name) {
  static const MetricInfo allocator_stat{"allocator.*", "bytes", Better::lower, false, false,
                                         "the allocator's own statistic at the end of the phase"};
  for (const auto& m : metric_table())
    if (m.name == name) return &m;
  if (name.size() > allocator_stat_prefix.size() && name.substr(0, allocator_stat_prefix.size()) == allocator_stat_prefix)
    return &allocator_stat;
  return nullptr;
}

bool deterministic(const MetricInfo& m, unsigned threads) {
  return m.deterministic && (m.name != "peak_live_bytes" || threads == 1);
}

}  // namespace allocbench
