#include "driver/gate_options.hpp"

#include "common/call_kinds.hpp"
#include "common/error.hpp"
#include "report/verdict_report.hpp"
#include "results/metrics.hpp"

#include <CLI/CLI.hpp>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

namespace allocbench {

void add_metric_option(CLI::App& app, GateOptions& o) {
  o.metric_flag = app.add_option(
      "--metric", o.metric,
      "Metrics to judge, comma-separated, or 'all' (default: wall_ns or instructions and est_cycles, "
      "peak_live_bytes, allocs, bytes_allocated, live_bytes_at_end, peak_rss_bytes).");
}

void add_gate_options(CLI::App& app, GateOptions& o) {
  o.threshold_flag = app.add_option(
      "--threshold", o.threshold,
      "Largest tolerated change in percent, for all metrics (5) or per metric (wall_ns=10,peak_live_bytes=0) "
      "(default: 5).");
  add_metric_option(app, o);
  o.ignore_env_flag =
      app.add_flag("--ignore-env", o.ignore_env, "Gate timed metrics even when the baseline ran on another machine.");
}

bool GateOptions::given() const {
  auto given = [](const CLI::Option* flag) { return flag && flag->count() > 0; };
  return given(threshold_flag) || given(metric_flag) || given(ignore_env_flag);
}

CompareOptions GateOptions::parse() const {
  if (threshold_flag && threshold_flag->count() && threshold.empty())
    throw usage_error("--threshold: expected a percentage such as 5, or METRIC=PERCENT, got ''");
  if (metric_flag->count() && metric.empty()) throw usage_error("--metric: expected 'all' or metric names, got ''");
  CompareOptions c;
  c.thresholds = parse_thresholds(threshold);
  if (!metric.empty()) c.metrics = parse_metric_list(metric);
  c.metrics_given = !metric.empty();
  c.ignore_env = ignore_env;
  return c;
}

void require_counterparts(const std::vector<ResultKey>& current, std::string_view current_name,
                          const std::vector<ResultKey>& baseline, std::string_view baseline_name) {
  for (const auto& key : current)
    if (std::find(baseline.begin(), baseline.end(), key) != baseline.end()) return;
  throw usage_error("{}", unmatched_entries(current, current_name, baseline, baseline_name));
}

ExitCode verdict_exit(const CompareReport& report, bool inconclusive_fails) {
  fmt::print(stderr, "allocbench: {}\n", verdict_summary(report));
  if (report.not_comparable()) {
    fmt::print(stderr, "allocbench: error: {}\n", not_comparable_entries(report));
    return ExitCode::bad_input;
  }
  if (report.judged() == 0) {  // a check that compared nothing must not pass
    fmt::print(stderr, "allocbench: error: nothing was judged: no metric asked for (--metric) was measured on both "
                       "sides of any entry\n");
    return ExitCode::bad_input;
  }
  if (report.regressions()) return ExitCode::regression;
  if (int open = report.inconclusive()) {
    fmt::print(stderr, "allocbench: {}: {} verdict{} still open at the bounds of --reps auto (--inconclusive {})\n",
               inconclusive_fails ? "error" : "warning", open, open == 1 ? "" : "s", inconclusive_fails ? "fail" : "pass");
    if (inconclusive_fails) return ExitCode::regression;
  }
  return ExitCode::ok;
}

namespace {

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, sep);) parts.push_back(part);
  return parts;
}

void check_metric_name(const std::string& name, std::string_view flag) {
  if (find_metric(name)) return;
  std::vector<std::string_view> names;
  for (const auto& m : metric_table()) names.push_back(m.name);
  throw usage_error("{}: unknown metric '{}'; known: {}; allocator.<statistic> such as allocator.resident_bytes "
                    "(see run --stats); or a call kind's figure in a size band, KIND_BAND_FIGURE with BAND one of {} "
                    "and FIGURE one of {}, such as malloc_le_64_p99_ns",
                    flag, name, fmt::join(names, ", "), fmt::join(size_bands, ", "), fmt::join(band_figures, ", "));
}

}  // namespace

Thresholds parse_thresholds(const std::string& text) {
  Thresholds t;
  for (const std::string& part : split(text, ',')) {
    auto eq = part.find('=');
    std::string name = eq == std::string::npos ? "" : part.substr(0, eq);
    std::string value = eq == std::string::npos ? part : part.substr(eq + 1);
    double percent = -1;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), percent);
    if (ec != std::errc() || end != value.data() + value.size() || !std::isfinite(percent) || percent < 0 ||
        percent > 1e6)
      throw usage_error("--threshold '{}': expected a percentage >= 0 such as 5, or METRIC=PERCENT such as "
                        "wall_ns=10, got '{}'",
                        text, value);
    if (name.empty()) {
      t.all = percent / 100;
    } else {
      check_metric_name(name, "--threshold");
      t.metric[name] = percent / 100;
    }
  }
  return t;
}

std::vector<std::string> parse_metric_list(const std::string& text) {
  std::vector<std::string> metrics;
  if (text == "all") {
    for (const auto& m : metric_table()) metrics.emplace_back(m.name);
    return metrics;
  }
  for (const std::string& name : split(text, ',')) {
    check_metric_name(name, "--metric");
    metrics.push_back(name);
  }
  return metrics;
}

}  // namespace allocbench
