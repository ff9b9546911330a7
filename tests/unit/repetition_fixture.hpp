// A well-formed repetition, as a worker reports it, for tests to vary.
#pragma once

#include "results/repetition.hpp"

#include <string>

// A measured (uncounted) repetition, or with `counted` the counted one.
inline allocbench::Repetition measured_repetition(const std::string& backend, double wall_ns,
                                                  const std::string& workload = "w", bool counted = false) {
  allocbench::Repetition r;
  r.backend = backend;
  r.backend_version = "1.0";
  r.malloc_provider = "lib" + backend + ".so";
  r.workload = workload;
  r.params = {{"ops", 10}};
  r.seed = 1;
  r.threads = 1;
  r.counting = counted;
  r.checksum = "00000000000000ab";
  r.allocator_stats = {{"allocated_bytes", 8192}, {"resident_bytes", 16384}};
  r.metrics = {{"wall_ns", wall_ns},  {"cpu_user_ns", 1},    {"cpu_sys_ns", 0},      {"ops_per_s", 1e9 * 10 / wall_ns},
               {"peak_rss_bytes", 1 << 20}, {"rss_end_bytes", 1 << 20}, {"minor_faults", 3}, {"major_faults", 0},
               {"ctx_switches_vol", 0}, {"ctx_switches_invol", 1}};
  if (counted)
    r.metrics.insert({{"peak_live_bytes", 4096}, {"allocs", 10}, {"frees", 10}, {"bytes_allocated", 640},
                      {"live_bytes_at_end", 0}});
  return r;
}

inline allocbench::Repetition counted_repetition(const std::string& backend, const std::string& workload = "w") {
  return measured_repetition(backend, 999, workload, true);
}
