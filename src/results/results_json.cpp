#include "results/results_json.hpp"

#include "results/metrics.hpp"

#include <cmath>

namespace allocbench {

using nlohmann::json;

namespace {

json to_json(const Environment& e) {
  return {{"host", e.host},
          {"cpu", e.cpu},
          {"cores", e.cores},
          {"kernel", e.kernel},
          {"compiler", e.compiler},
          {"build_type", e.build_type},
          {"allocbench_version", e.allocbench_version},
          {"git_commit", e.git_commit},
          {"valgrind", e.valgrind}};
}

// Counts and byte sizes stay integers in the file: baselines diff the way they read.
json number(double v) {
  if (v == std::floor(v) && std::fabs(v) < 9e15) return static_cast<int64_t>(v);
  return v;
}

json to_json(const std::string& name, const Summary& s, unsigned threads) {
  json samples = json::array();
  for (double v : s.samples) samples.push_back(number(v));
  json j = {{"median", number(s.median)}, {"min", number(s.min)}, {"max", number(s.max)}, {"samples", samples}};
  if (const MetricInfo* m = find_metric(name)) {
    j["unit"] = m->unit;
    j["better"] = m->better == Better::lower ? "lower" : "higher";
    j["deterministic"] = deterministic(*m, threads);
  }
  return j;
}

json to_json(const Result& r) {
  json metrics = json::object(), allocator_stats = json::object(), options = json::object();
  for (const auto& [name, s] : r.metrics) {
    if (name.rfind(allocator_stat_prefix, 0) == 0)
      allocator_stats[name.substr(allocator_stat_prefix.size())] = to_json(name, s, r.threads);
    else
      metrics[name] = to_json(name, s, r.threads);
  }
  for (const auto& [name, o] : r.options)
    options[name] = {{"requested", o.requested}, {"effective", o.effective ? json(*o.effective) : json()}};
  json j = {{"environment", to_json(r.environment)},
          {"backend", r.backend},
          {"options", options},
          {"backend_version", r.backend_version},
          {"malloc_provider", r.malloc_provider},
          {"workload", r.workload},
          {"measure", r.measure},
          {"params", r.params},
          {"seed", r.seed},
          {"threads", r.threads},
          {"counting", r.counting},
          {"checksum", r.checksum},
          {"reps", r.reps},
          {"peak_live_error_bound", r.peak_live_error_bound},
          {"peak_rss_reset", r.peak_rss_reset},
          {"unsized_frees", r.unsized_frees},
          {"stats", r.stats},
          {"allocator_stats", allocator_stats},
          {"metrics", metrics}};
  if (!r.directory.empty()) j["directory"] = r.directory;
  if (!r.timeline.t_ms.empty()) {
    j["timeline"] = {{"interval_ms", r.timeline.interval_ms}, {"t_ms", r.timeline.t_ms}, {"rss_bytes", r.timeline.rss_bytes}};
    if (!r.timeline.live_bytes.empty()) j["timeline"]["live_bytes"] = r.timeline.live_bytes;
  }
  if (!r.leak_sites.empty()) {
    json sites = json::array();
    for (const auto& s : r.leak_sites) sites.push_back({{"bytes", s.bytes}, {"count", s.count}, {"stack", s.stack}});
    j["leak_sites"] = sites;
  }
  return j;
}

}  // namespace

json to_json(const Results& results) {
  json list = json::array();
  for (const auto& r : results.results) list.push_back(to_json(r));
  return {{"schema", results_schema}, {"environment", to_json(results.environment)}, {"results", list}};
}

}  // namespace allocbench
