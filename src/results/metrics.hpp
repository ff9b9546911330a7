// The metrics every repetition reports, with their unit, their good direction and
// whether they are deterministic (free of timing noise, so compared exactly).
#pragma once

#include <string_view>
#include <vector>

namespace allocbench {

enum class Better { lower, higher };

struct MetricInfo {
  std::string_view name;
  std::string_view unit;
  Better better;
  bool deterministic;  // the same on every repetition; see deterministic() for the peak
  bool counted;        // from the counted repetition: present only with --counting on
  std::string_view meaning;
};

// In the order reports list them.
const std::vector<MetricInfo>& metric_table();

// The allocators' own statistics are metrics too, named "allocator.<stat>" (e.g.
// allocator.resident_bytes): bytes, lower is better, read once per repetition.
inline constexpr std::string_view allocator_stat_prefix = "allocator.";

// nullptr for a name neither in the table nor an allocator statistic.
const MetricInfo* find_metric(std::string_view name);

// Whether a metric of an entry run on `threads` threads is free of noise, so compared
// exactly: the peak of live bytes is only with one thread (threads publish it late).
bool deterministic(const MetricInfo& m, unsigned threads);

}  // namespace allocbench
