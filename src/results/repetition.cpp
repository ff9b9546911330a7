#include "results/repetition.hpp"

#include "results/json_checker.hpp"
#include "results/metrics.hpp"
#include "results/results_json.hpp"

namespace allocbench {

std::string repetition_text(const Repetition& r) {
  json j = {{"backend", r.backend},
            {"backend_version", r.backend_version},
            {"malloc_provider", r.malloc_provider},
            {"workload", r.workload},
            {"measure", r.measure},
            {"settings", to_json(r.settings)},
            {"params", r.params},
            {"seed", r.seed},
            {"threads", r.threads},
            {"counting", r.counting},
            {"checksum", r.checksum},
            {"peak_live_error_bound", r.peak_live_error_bound},
            {"peak_rss_reset", r.peak_rss_reset},
            {"unsized_frees", r.unsized_frees},
            {"metrics", r.metrics},
            {"stats", r.stats},
            {"allocator_stats", r.allocator_stats}};
  if (!r.directory.empty()) j["directory"] = r.directory;
  if (!r.leak_sites.empty()) j["leak_sites"] = to_json(r.leak_sites);
  if (!r.slow_calls.empty()) j["slow_calls"] = to_json(r.slow_calls);
  if (!r.timeline.t_ms.empty()) j["timeline"] = to_json(r.timeline);
  return j.dump();
}

namespace {

std::map<std::string, double> numbers(const json& holder, const char* key, const Checker& c) {
  std::map<std::string, double> out;
  for (const auto& [k, v] : c.object(holder, "", key).items()) out[k] = c.number(v, fmt::format("{}.{}", key, k));
  return out;
}

}  // namespace

Repetition parse_repetition(const std::string& text) {
  if (text.empty()) throw run_error("printed no report");
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) throw run_error("printed a report that is not JSON");
  Checker c("printed a malformed report");
  if (!j.is_object()) c.fail("expected a JSON object");
  Repetition r;
  r.backend = c.string(j, "", "backend");
  r.backend_version = c.string(j, "", "backend_version");
  r.malloc_provider = c.string(j, "", "malloc_provider");
  r.workload = c.string(j, "", "workload");
  if (j.contains("directory")) r.directory = c.string(j, "", "directory");
  r.measure = c.string(j, "", "measure");
  r.settings = read_settings(j, "", c);
  for (const auto& [k, v] : c.object(j, "", "params").items()) {
    if (!v.is_number_integer()) c.expected("params." + k, "an integer", &v);
    r.params[k] = v.get<int64_t>();
  }
  r.seed = c.count(j, "", "seed");
  r.threads = static_cast<unsigned>(c.count(j, "", "threads"));
  r.counting = c.boolean(j, "", "counting");
  r.checksum = c.string(j, "", "checksum");
  r.peak_live_error_bound = static_cast<int64_t>(c.count(j, "", "peak_live_error_bound"));
  r.peak_rss_reset = c.boolean(j, "", "peak_rss_reset");
  r.unsized_frees = static_cast<int64_t>(c.count(j, "", "unsized_frees"));
  r.metrics = numbers(j, "metrics", c);
  r.stats = numbers(j, "stats", c);
  r.allocator_stats = numbers(j, "allocator_stats", c);
  r.leak_sites = read_leak_sites(j, "", c);
  r.slow_calls = read_slow_calls(j, "", c);
  r.timeline = read_timeline(j, "", c);
  // Every metric the repetition must have measured; RSS may be unreadable, a program counts no ops.
  for (const auto& m : metric_table()) {
    if (m.where_seen || m.source == Source::simulated || m.source == Source::idle ||
        (m.source == Source::counted && !r.counting))
      continue;
    if (m.name == "peak_rss_bytes" || m.name == "rss_end_bytes" || m.name == "ops_per_s") continue;
    if (!r.metrics.contains(std::string(m.name))) c.fail("metrics.{}: missing, expected a number", m.name);
  }
  return r;
}

}  // namespace allocbench
