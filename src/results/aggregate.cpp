#include "results/aggregate.hpp"

#include "common/error.hpp"
#include "results/metrics.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>

namespace allocbench {
namespace {

using nlohmann::json;

bool is_string(const json& j, const char* key) { return j.contains(key) && j[key].is_string(); }
bool is_uint(const json& j, const char* key) { return j.contains(key) && j[key].is_number_unsigned(); }
bool is_int(const json& j, const char* key) { return j.contains(key) && j[key].is_number_integer(); }

Timeline timeline_from(const json& t) {
  Timeline out{t["interval_ms"].get<double>(), t["t_ms"].get<std::vector<double>>(),
               t["rss_bytes"].get<std::vector<double>>(), {}};
  if (t.contains("live_bytes")) out.live_bytes = t["live_bytes"].get<std::vector<double>>();
  return out;
}

// Which repetition a metric of the result comes from. Under callgrind nothing is timed:
// the memory the process held comes from the counted repetition, run natively.
bool takes(std::string_view measure, const MetricInfo& m, bool counted_sample) {
  static constexpr std::array native_memory{"peak_rss_bytes", "rss_end_bytes", "minor_faults", "major_faults"};
  if (!counted_sample) return m.source != Source::counted;
  return m.source == Source::counted ||
         (measure == measure_instructions &&
          std::find(native_memory.begin(), native_memory.end(), m.name) != native_memory.end());
}

}  // namespace

std::string validate_sample(const json& s) {
  if (!s.is_object()) return "expected a JSON object";
  for (const char* key : {"backend", "backend_version", "malloc_provider", "workload", "checksum"})
    if (!is_string(s, key)) return fmt::format("{}: expected a string", key);
  if (s.contains("directory") && !s["directory"].is_string()) return "directory: expected a string";
  for (const char* key : {"seed", "threads"})
    if (!is_uint(s, key)) return fmt::format("{}: expected a non-negative integer", key);
  for (const char* key : {"peak_live_error_bound", "unsized_frees"})
    if (!is_int(s, key)) return fmt::format("{}: expected an integer", key);
  for (const char* key : {"counting", "peak_rss_reset"})
    if (!s.contains(key) || !s[key].is_boolean()) return fmt::format("{}: expected true or false", key);
  for (const char* key : {"params", "stats", "allocator_stats", "options", "metrics"})
    if (!s.contains(key) || !s[key].is_object()) return fmt::format("{}: expected an object", key);
  for (const auto& [k, v] : s["params"].items())
    if (!v.is_number_integer()) return fmt::format("params.{}: expected an integer", k);
  for (const char* group : {"stats", "allocator_stats"})
    for (const auto& [k, v] : s[group].items())
      if (!v.is_number()) return fmt::format("{}.{}: expected a number", group, k);
  for (const auto& [k, v] : s["options"].items())
    if (!v.is_object() || !is_string(v, "requested") || !v.contains("effective") ||
        !(v["effective"].is_null() || v["effective"].is_string()))
      return fmt::format("options.{}: expected {{\"requested\": string, \"effective\": string or null}}", k);
  if (s.contains("leak_sites")) {
    if (!s["leak_sites"].is_array()) return "leak_sites: expected an array";
    for (const auto& site : s["leak_sites"]) {
      if (!is_int(site, "bytes") || !is_int(site, "count") || !site.contains("frames") || !site["frames"].is_array())
        return "leak_sites: expected objects with bytes, count and frames";
      for (const auto& f : site["frames"])
        if (!is_string(f, "module") || !is_string(f, "offset"))
          return "leak_sites: expected frames with a module and an offset";
    }
  }
  if (s.contains("timeline")) {
    const json& t = s["timeline"];
    if (!t.is_object() || !t.contains("interval_ms") || !t["interval_ms"].is_number() || !t.contains("t_ms") ||
        !t.contains("rss_bytes"))
      return "timeline: expected an object with interval_ms, t_ms and rss_bytes";
    for (const char* key : {"t_ms", "rss_bytes", "live_bytes"}) {
      if (!t.contains(key)) continue;
      if (!t[key].is_array() || t[key].size() != t["t_ms"].size())
        return fmt::format("timeline.{}: expected an array as long as t_ms", key);
      for (const auto& v : t[key])
        if (!v.is_number()) return fmt::format("timeline.{}: expected numbers", key);
    }
  }
  for (const auto& m : metric_table()) {
    if (m.source == Source::simulated) continue;  // the driver adds them, from callgrind
    if (m.source == Source::counted && !s["counting"].get<bool>()) continue;
    // RSS: /proc/self/status unreadable, or a program's end unseen; ops: a program counts none of allocbench's.
    if (m.name == "peak_rss_bytes" || m.name == "rss_end_bytes" || m.name == "ops_per_s") {
      if (!s["metrics"].contains(m.name)) continue;
    }
    const auto it = s["metrics"].find(m.name);
    if (it == s["metrics"].end() || !it->is_number()) return fmt::format("metrics.{}: expected a number", m.name);
  }
  return {};
}

Result aggregate(const std::vector<json>& measured, const json* counted) {
  ALLOCBENCH_CHECK(!measured.empty());
  const json& first = measured.front();
  Result r;
  r.backend = first["backend"];
  r.backend_version = first["backend_version"];
  r.malloc_provider = first["malloc_provider"];
  r.workload = first["workload"];
  r.directory = first.value("directory", std::string());
  r.params = first["params"].get<std::map<std::string, int64_t>>();
  r.seed = first["seed"];
  r.threads = first["threads"];
  r.counting = counted != nullptr;
  r.checksum = first["checksum"];
  r.reps = static_cast<int>(measured.size());
  r.measure = first.value("measure", std::string(measure_wall));
  r.peak_rss_reset = true;
  for (const auto& [k, v] : first["options"].items())
    r.options[k] = {v["requested"], v["effective"].is_null() ? std::nullopt : std::optional(v["effective"].get<std::string>())};

  std::vector<const json*> samples;
  for (const json& s : measured) samples.push_back(&s);
  if (counted) samples.push_back(counted);
  std::map<std::string, std::vector<double>> values, stats;
  for (const json* sample : samples) {
    const json& s = *sample;
    bool counted_sample = s["counting"].get<bool>();
    if (s["checksum"] != r.checksum)
      throw run_error("{} on {}: checksum {} differs from {} of an earlier repetition: the workload did "
                      "different work with the same seed",
                      r.workload, r.backend, s["checksum"].get<std::string>(), r.checksum);
    r.peak_live_error_bound = std::max(r.peak_live_error_bound, s["peak_live_error_bound"].get<int64_t>());
    r.unsized_frees = std::max(r.unsized_frees, s["unsized_frees"].get<int64_t>());
    r.peak_rss_reset = r.peak_rss_reset && s["peak_rss_reset"].get<bool>();
    for (const auto& [k, v] : s["metrics"].items()) {
      const MetricInfo* m = find_metric(k);
      if (m && takes(r.measure, *m, counted_sample)) values[k].push_back(v.get<double>());
    }
    if (!counted_sample) {
      for (const auto& [k, v] : s["stats"].items()) stats[k].push_back(v.get<double>());
      for (const auto& [k, v] : s["allocator_stats"].items())
        values[std::string(allocator_stat_prefix) + k].push_back(v.get<double>());
    }
  }
  for (auto& [name, v] : values) r.metrics[name] = summarize(std::move(v));
  for (const json* sample : samples)  // only the observed repetition carries one
    if (sample->contains("timeline")) r.timeline = timeline_from((*sample)["timeline"]);
  if (counted && counted->contains("leak_sites"))
    for (const auto& site : (*counted)["leak_sites"])
      r.leak_sites.push_back({site["bytes"], site["count"], site["stack"].get<std::vector<std::string>>()});
  for (auto& [name, v] : stats) r.stats[name] = median(std::move(v));
  return r;
}

}  // namespace allocbench
