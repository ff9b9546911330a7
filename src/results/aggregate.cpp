#include "results/aggregate.hpp"

#include "common/error.hpp"
#include "results/metrics.hpp"

#include <algorithm>
#include <array>

namespace allocbench {
namespace {

enum class From { measured, counted, latency };

// Which repetition a metric of the result comes from. Under callgrind nothing is timed:
// the memory the process held comes from the counted repetition, run natively.
bool takes(std::string_view measure, const MetricInfo& m, From from) {
  static constexpr std::array native_memory{"peak_rss_bytes", "rss_end_bytes", "minor_faults", "major_faults"};
  if (from == From::latency || m.source == Source::latency) return from == From::latency && m.source == Source::latency;
  if (from == From::measured) return m.source != Source::counted;
  return m.source == Source::counted ||
         (measure == measure_instructions &&
          std::find(native_memory.begin(), native_memory.end(), m.name) != native_memory.end());
}

}  // namespace

Result aggregate(const std::vector<Repetition>& measured, const Repetition* counted,
                 const std::vector<Repetition>& latency) {
  ALLOCBENCH_CHECK(!measured.empty());
  const Repetition& first = measured.front();
  Result r;
  r.backend = first.backend;
  r.backend_version = first.backend_version;
  r.malloc_provider = first.malloc_provider;
  r.workload = first.workload;
  r.directory = first.directory;
  r.params = first.params;
  r.seed = first.seed;
  r.threads = first.threads;
  r.counting = counted != nullptr;
  r.checksum = first.checksum;
  r.reps = static_cast<int>(measured.size());
  r.measure = first.measure;
  r.settings = first.settings;

  std::vector<std::pair<const Repetition*, From>> all;
  for (const Repetition& s : measured) all.emplace_back(&s, From::measured);
  if (counted) all.emplace_back(counted, From::counted);
  for (const Repetition& s : latency) all.emplace_back(&s, From::latency);
  std::map<std::string, std::vector<double>> values, stats;
  for (auto [s, from] : all) {
    if (s->checksum != r.checksum)
      throw run_error("{} on {}: checksum {} differs from {} of an earlier repetition: the workload did "
                      "different work with the same seed",
                      r.workload, r.backend, s->checksum, r.checksum);
    r.peak_live_error_bound = std::max(r.peak_live_error_bound, s->peak_live_error_bound);
    r.unsized_frees = std::max(r.unsized_frees, s->unsized_frees);
    r.peak_rss_reset = r.peak_rss_reset && s->peak_rss_reset;
    for (const auto& [k, v] : s->metrics) {
      const MetricInfo* m = find_metric(k);
      if (m && takes(r.measure, *m, from)) values[k].push_back(v);
    }
    if (from == From::measured) {
      for (const auto& [k, v] : s->stats) stats[k].push_back(v);
      for (const auto& [k, v] : s->allocator_stats) values[std::string(allocator_stat_prefix) + k].push_back(v);
    }
    if (!s->timeline.t_ms.empty()) r.timeline = s->timeline;  // only the observed repetition carries one
  }
  for (auto& [name, v] : values) r.metrics[name] = summarize(std::move(v));
  if (counted) r.leak_sites = counted->leak_sites;
  for (size_t i = 0; i < latency.size(); ++i)
    for (SlowCall call : latency[i].slow_calls) {
      call.rep = static_cast<int>(i + 1);
      r.slow_calls.push_back(std::move(call));
    }
  std::stable_sort(r.slow_calls.begin(), r.slow_calls.end(), [](const SlowCall& a, const SlowCall& b) { return a.ns > b.ns; });
  if (r.slow_calls.size() > slow_calls_kept) r.slow_calls.resize(slow_calls_kept);
  for (auto& [name, v] : stats) r.stats[name] = median(std::move(v));
  return r;
}

}  // namespace allocbench
