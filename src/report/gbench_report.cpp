// Google Benchmark's JSON (as its JSONReporter writes it), for the tools built around it:
// its own tools/compare.py, github-action-benchmark, Bencher's cpp_google adapter. One
// benchmark per cell, named "workload/backend" (the backend label holds a variant's
// settings): an "iteration" entry per repetition (one phase: iterations 1, real_time its
// wall time, cpu_time its user + system CPU time, in ns), then the mean, median, stddev
// and cv aggregates (from two repetitions on). Memory figures are user counters; a failed
// cell is an entry with error_occurred. The context describes the machine the report is
// written on, which is the one that ran when `run` writes it.
#include "report/report.hpp"

#include "common/cpu_info.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <numeric>
#include <optional>

namespace allocbench {
namespace {

using Json = nlohmann::ordered_json;

// The figures user counters carry: memory and counts, where the cell measured them.
constexpr const char* counter_metrics[] = {"peak_live_bytes", "peak_rss_bytes", "allocs", "frees", "bytes_allocated"};

std::string iso8601_now() {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &local);
  long offset_min = std::labs(local.tm_gmtoff) / 60;  // as Google Benchmark writes it: +01:00
  return fmt::format("{}{}{:02}:{:02}", text, local.tm_gmtoff < 0 ? '-' : '+', offset_min / 60, offset_min % 60);
}

Json context(const Environment& e) {
  Json caches = Json::array();
  for (const CpuCache& c : cpu_caches())
    caches.push_back({{"type", c.type}, {"level", c.level}, {"size", c.size}, {"num_sharing", c.num_sharing}});
  double load[3] = {0, 0, 0};
  int loads = getloadavg(load, 3);
  std::string mhz = cpuinfo_field("cpu MHz");
  return {{"date", iso8601_now()},
          {"host_name", e.host},
          {"executable", "allocbench"},
          {"num_cpus", e.cores},
          {"mhz_per_cpu", mhz.empty() ? 0 : static_cast<int>(std::lround(std::atof(mhz.c_str())))},
          {"cpu_scaling_enabled", false},
          {"caches", caches},
          {"load_avg", std::vector<double>(load, load + std::max(loads, 0))},
          {"library_build_type", e.build_type.starts_with("Debug") ? "debug" : "release"}};
}

// A metric's value at each repetition: its samples when every repetition has one, the
// one figure of the counted run for all; none otherwise (peak RSS where some repetitions
// could not read it), when the value of a repetition is unknown.
std::optional<std::vector<double>> per_repetition(const Summary& s, size_t reps) {
  if (s.samples.size() == reps) return s.samples;
  if (s.samples.size() == 1) return std::vector<double>(reps, s.samples[0]);
  return std::nullopt;
}

double mean(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); }

double stddev(const std::vector<double>& v) {  // the sample standard deviation, as Google Benchmark's
  if (v.size() < 2) return 0;
  double m = mean(v), sum = 0;
  for (double x : v) sum += (x - m) * (x - m);
  return std::sqrt(sum / (v.size() - 1));
}

struct Aggregate {
  const char* name;
  const char* unit;
  double (*of)(const std::vector<double>&);
};
const Aggregate aggregates[] = {
    {"mean", "time", mean},
    {"median", "time", [](const std::vector<double>& v) { return median(v); }},
    {"stddev", "time", stddev},
    {"cv", "percentage", [](const std::vector<double>& v) { return mean(v) ? stddev(v) / mean(v) : 0; }},
};

}  // namespace

std::string gbench_report(const ReportInput& in) {
  Json benchmarks = Json::array();
  int family = 0;
  for (const auto& r : in.results.results) {
    auto wall = r.metrics.find("wall_ns");
    if (wall == r.metrics.end()) continue;  // simulated: no time to report (refused before the run)
    std::string name = r.workload + "/" + r.backend;
    size_t reps = wall->second.samples.size();
    std::vector<double> real = wall->second.samples, cpu(reps, 0.0);
    for (const char* m : {"cpu_user_ns", "cpu_sys_ns"})
      if (auto s = r.metrics.find(m); s != r.metrics.end())
        if (auto values = per_repetition(s->second, reps))
          for (size_t i = 0; i < reps; ++i) cpu[i] += (*values)[i];
    std::map<std::string, std::vector<double>> counters;  // per repetition
    std::map<std::string, const Summary*> summaries;        // for the aggregates
    for (const char* m : counter_metrics)
      if (auto s = r.metrics.find(m); s != r.metrics.end()) {
        summaries[m] = &s->second;
        if (auto values = per_repetition(s->second, reps)) counters[m] = *values;
      }
    Json common = {{"family_index", family++},
                   {"per_family_instance_index", 0},
                   {"run_name", name},
                   {"repetitions", reps},
                   {"threads", std::max(r.threads, 1u)}};
    for (size_t i = 0; i < reps; ++i) {
      Json entry = {{"name", name}};
      entry.update(common);
      entry.update({{"run_type", "iteration"},
                    {"repetition_index", i},
                    {"iterations", 1},
                    {"real_time", real[i]},
                    {"cpu_time", cpu[i]},
                    {"time_unit", "ns"}});
      for (const auto& [m, values] : counters) entry[m] = values[i];
      benchmarks.push_back(entry);
    }
    if (reps < 2) continue;  // as Google Benchmark: aggregates of repetitions only
    for (const Aggregate& a : aggregates) {
      Json entry = {{"name", name + "_" + a.name}};
      entry.update(common);
      entry.update({{"run_type", "aggregate"},
                    {"aggregate_name", a.name},
                    {"aggregate_unit", a.unit},
                    {"iterations", reps},
                    {"real_time", a.of(real)},
                    {"cpu_time", a.of(cpu)},
                    {"time_unit", "ns"}});
      for (const auto& [m, s] : summaries) entry[m] = a.of(s->samples);
      benchmarks.push_back(entry);
    }
  }
  for (const FailedCell& f : in.failures)  // as Google Benchmark reports a benchmark that failed
    benchmarks.push_back({{"name", f.workload + "/" + f.backend},
                          {"run_name", f.workload + "/" + f.backend},
                          {"run_type", "iteration"},
                          {"error_occurred", true},
                          {"error_message", f.reason}});
  return Json{{"context", context(in.results.environment)}, {"benchmarks", benchmarks}}.dump(2) + "\n";
}

}  // namespace allocbench
