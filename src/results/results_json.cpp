#include "results/results_json.hpp"

#include "common/call_kinds.hpp"
#include "results/metrics.hpp"

#include <fmt/ranges.h>

#include <algorithm>
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
          {"valgrind", e.valgrind},
          {"latency_clock", e.latency_clock}};
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
  json metrics = json::object(), allocator_stats = json::object();
  for (const auto& [name, s] : r.metrics) {
    if (name.rfind(allocator_stat_prefix, 0) == 0)
      allocator_stats[name.substr(allocator_stat_prefix.size())] = to_json(name, s, r.threads);
    else
      metrics[name] = to_json(name, s, r.threads);
  }
  json j = {{"environment", to_json(r.environment)},
          {"backend", r.backend},
          {"settings", to_json(r.settings)},
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
  if (!r.timeline.t_ms.empty()) j["timeline"] = to_json(r.timeline);
  if (!r.leak_sites.empty()) j["leak_sites"] = to_json(r.leak_sites);
  if (!r.slow_calls.empty()) j["slow_calls"] = to_json(r.slow_calls);
  return j;
}

}  // namespace

json to_json(const std::map<std::string, SettingValue>& settings) {
  json j = json::object();
  for (const auto& [name, s] : settings)
    j[name] = {{"requested", s.requested}, {"effective", s.effective ? json(*s.effective) : json()}};
  return j;
}

json to_json(const Timeline& t) {
  json j = {{"interval_ms", t.interval_ms}, {"t_ms", t.t_ms}, {"rss_bytes", t.rss_bytes}};
  if (!t.live_bytes.empty()) j["live_bytes"] = t.live_bytes;
  if (!t.idle_t_ms.empty()) j["idle_t_ms"] = t.idle_t_ms, j["idle_held_bytes"] = t.idle_held_bytes;
  if (!t.boundary_t_ms.empty()) j["boundary_t_ms"] = t.boundary_t_ms;
  return j;
}

json to_json(const std::vector<LeakSite>& sites) {
  json j = json::array();
  for (const auto& s : sites) j.push_back({{"bytes", s.bytes}, {"count", s.count}, {"stack", s.stack}});
  return j;
}

json to_json(const std::vector<SlowCall>& calls) {
  json j = json::array();
  for (const auto& s : calls)
    j.push_back({{"call", s.call}, {"size", s.size}, {"thread", s.thread}, {"ns", s.ns},
                 {"faulted", s.faulted ? json(*s.faulted) : json(nullptr)}, {"rep", s.rep}});
  return j;
}

std::map<std::string, SettingValue> read_settings(const json& holder, const std::string& where, const Checker& c) {
  std::map<std::string, SettingValue> settings;
  const char* key = holder.contains("settings") ? "settings" : "options";
  if (!holder.contains(key)) return settings;
  for (const auto& [k, v] : c.object(holder, where, key).items()) {
    std::string at = Checker::join(where, key) + "." + k;
    if (!v.is_object()) c.expected(at, "an object with requested and effective", &v);
    SettingValue s{c.string(v, at, "requested"), std::nullopt};
    if (!c.member(v, "effective").is_null()) s.effective = c.string(v, at, "effective");
    settings[k] = s;
  }
  return settings;
}

Timeline read_timeline(const json& holder, const std::string& where, const Checker& c) {
  Timeline timeline;
  if (!holder.contains("timeline")) return timeline;
  const json& t = c.object(holder, where, "timeline");
  std::string at = Checker::join(where, "timeline");
  timeline.interval_ms = c.number(c.member(t, "interval_ms"), at + ".interval_ms");
  auto series = [&](const char* key, std::vector<double>& out) {
    const json& values = c.array(t, at, key);
    for (size_t i = 0; i < values.size(); ++i) out.push_back(c.number(values[i], fmt::format("{}.{}[{}]", at, key, i)));
  };
  series("t_ms", timeline.t_ms);
  series("rss_bytes", timeline.rss_bytes);
  if (t.contains("live_bytes")) series("live_bytes", timeline.live_bytes);
  for (auto* s : {&timeline.rss_bytes, &timeline.live_bytes})
    if (!s->empty() && s->size() != timeline.t_ms.size())
      c.fail("{}: every series must be as long as t_ms ({} samples)", at, timeline.t_ms.size());
  if (t.contains("idle_t_ms")) {
    series("idle_t_ms", timeline.idle_t_ms);
    series("idle_held_bytes", timeline.idle_held_bytes);
    if (timeline.idle_held_bytes.size() != timeline.idle_t_ms.size())
      c.fail("{}: idle_held_bytes must be as long as idle_t_ms ({} samples)", at, timeline.idle_t_ms.size());
  }
  if (t.contains("boundary_t_ms")) series("boundary_t_ms", timeline.boundary_t_ms);
  return timeline;
}

std::vector<LeakSite> read_leak_sites(const json& holder, const std::string& where, const Checker& c) {
  std::vector<LeakSite> out;
  if (!holder.contains("leak_sites")) return out;
  const json& sites = c.array(holder, where, "leak_sites");
  for (size_t i = 0; i < sites.size(); ++i) {
    std::string at = fmt::format("{}[{}]", Checker::join(where, "leak_sites"), i);
    if (!sites[i].is_object()) c.expected(at, "an object with bytes, count and stack", &sites[i]);
    LeakSite site{static_cast<int64_t>(c.count(sites[i], at, "bytes")),
                  static_cast<int64_t>(c.count(sites[i], at, "count")), {}};
    const json& stack = c.array(sites[i], at, "stack");
    for (size_t k = 0; k < stack.size(); ++k) {
      if (!stack[k].is_string()) c.expected(fmt::format("{}.stack[{}]", at, k), "a string", &stack[k]);
      site.stack.push_back(stack[k].get<std::string>());
    }
    out.push_back(std::move(site));
  }
  return out;
}

std::vector<SlowCall> read_slow_calls(const json& holder, const std::string& where, const Checker& c) {
  std::vector<SlowCall> out;
  if (!holder.contains("slow_calls")) return out;
  const json& calls = c.array(holder, where, "slow_calls");
  for (size_t i = 0; i < calls.size(); ++i) {
    std::string at = fmt::format("{}[{}]", Checker::join(where, "slow_calls"), i);
    const json& call = calls[i];
    if (!call.is_object()) c.expected(at, "an object with call, size, thread, ns, faulted and rep", &call);
    SlowCall s;
    s.call = c.string(call, at, "call");
    if (std::find(call_kinds.begin(), call_kinds.end(), s.call) == call_kinds.end())
      c.fail("{}.call: expected one of {}, got \"{}\"", at, fmt::join(call_kinds, ", "), s.call);
    s.size = static_cast<int64_t>(c.count(call, at, "size"));
    s.thread = static_cast<unsigned>(c.count(call, at, "thread"));
    s.ns = c.number(c.member(call, "ns"), at + ".ns");
    if (const json& f = c.member(call, "faulted"); !f.is_null()) s.faulted = c.boolean(call, at, "faulted");
    s.rep = static_cast<int>(c.count(call, at, "rep"));
    out.push_back(std::move(s));
  }
  return out;
}

json to_json(const Results& results) {
  json list = json::array();
  for (const auto& r : results.results) list.push_back(to_json(r));
  return {{"schema", results_schema}, {"environment", to_json(results.environment)}, {"results", list}};
}

}  // namespace allocbench
