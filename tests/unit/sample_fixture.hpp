// A well-formed worker report, as a worker prints it, for tests to vary.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

// A measured (uncounted) repetition, or with `counted` the counted one.
inline nlohmann::json worker_sample(const std::string& backend, double wall_ns, const std::string& workload = "w",
                                    bool counted = false) {
  nlohmann::json s = {{"backend", backend},
          {"backend_version", "1.0"},
          {"malloc_provider", "lib" + backend + ".so"},
          {"workload", workload},
          {"params", {{"ops", 10}}},
          {"seed", 1u},
          {"threads", 1u},
          {"counting", counted},
          {"checksum", "00000000000000ab"},
          {"peak_live_error_bound", 0},
          {"peak_rss_reset", true},
          {"unsized_frees", 0},
          {"stats", nlohmann::json::object()},
          {"allocator_stats", {{"allocated_bytes", 8192}, {"resident_bytes", 16384}}},
          {"options", nlohmann::json::object()},
          {"metrics",
           {{"wall_ns", wall_ns}, {"cpu_user_ns", 1}, {"cpu_sys_ns", 0}, {"ops_per_s", 1e9 * 10 / wall_ns},
            {"peak_rss_bytes", 1 << 20}, {"rss_end_bytes", 1 << 20}, {"minor_faults", 3}, {"major_faults", 0},
            {"ctx_switches_vol", 0}, {"ctx_switches_invol", 1}}}};
  if (counted)
    s["metrics"].update({{"peak_live_bytes", 4096}, {"allocs", 10}, {"frees", 10}, {"bytes_allocated", 640},
                         {"live_bytes_at_end", 0}});
  return s;
}

inline nlohmann::json counted_sample(const std::string& backend, const std::string& workload = "w") {
  return worker_sample(backend, 999, workload, true);
}
