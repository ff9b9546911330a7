// Bencher Metric Format (bencher.dev/docs/reference/bencher-metric-format): one benchmark
// per cell, named "workload/backend", and every metric as {value, lower_value,
// upper_value}: the median, the fastest and the slowest repetition. Wall time goes to
// Bencher's own "latency" measure (ns) and throughput to "throughput" (ops/s), so its
// default charts show them; every other metric keeps its allocbench name, which Bencher
// creates as a measure of its own. For `bencher run --adapter json --file FILE`.
#include "report/report.hpp"

#include <nlohmann/json.hpp>

namespace allocbench {
namespace {

std::string measure_of(const std::string& metric) {
  if (metric == "wall_ns") return "latency";
  if (metric == "ops_per_s") return "throughput";
  return metric;
}

}  // namespace

std::string bmf_report(const ReportInput& in) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& r : in.results.results) {
    nlohmann::ordered_json& benchmark = out[r.workload + "/" + r.backend];
    for (const auto& [name, s] : r.metrics)
      benchmark[measure_of(name)] = {{"value", s.median}, {"lower_value", s.min}, {"upper_value", s.max}};
  }
  return out.dump(2) + "\n";
}

}  // namespace allocbench
