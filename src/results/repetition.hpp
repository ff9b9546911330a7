// One repetition's report: what a worker (or, for a cmd: workload, the launcher)
// measured in its own process, printed as one JSON object on stdout; the driver reads it
// back and aggregates a cell's repetitions into a Result (aggregate.hpp).
#pragma once

#include "results/results.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace allocbench {

struct Repetition {
  std::string backend, backend_version, malloc_provider, workload;
  std::string directory;  // a cmd: workload's working directory; empty for the others
  std::string measure{measure_wall};  // the driver sets measure_instructions under callgrind
  std::map<std::string, SettingValue> settings;
  std::map<std::string, int64_t> params;
  uint64_t seed = 0;
  unsigned threads = 0;
  bool counting = false;  // the counted repetition: counted metrics present
  std::string checksum;
  int64_t peak_live_error_bound = 0;
  bool peak_rss_reset = true;
  int64_t unsized_frees = 0;
  std::map<std::string, double> metrics;          // by metric_table() name
  std::map<std::string, double> stats;            // the workload's own counters
  std::map<std::string, double> allocator_stats;  // the allocator's own, without the "allocator." prefix
  std::vector<LeakSite> leak_sites;               // with --leaks, in the counted repetition
  std::vector<SlowCall> slow_calls;               // a latency repetition's slowest calls, slowest first
  Timeline timeline;                              // empty t_ms: none taken
};

// One line of JSON.
std::string repetition_text(const Repetition& r);

// Reads a report back, every field checked: a usage error "printed a malformed report:
// FIELD: expected ...", or "printed no report" / "printed a report that is not JSON".
Repetition parse_repetition(const std::string& text);

}  // namespace allocbench
