#include "driver/gate_options.hpp"

#include <CLI/CLI.hpp>

namespace allocbench {

void add_gate_options(CLI::App& app, GateOptions& o) {
  o.threshold_flag = app.add_option(
      "--threshold", o.threshold,
      "Largest tolerated change in percent, for all metrics (5) or per metric (wall_ns=10,peak_live_bytes=0) "
      "(default: 5).");
  o.metric_flag = app.add_option(
      "--metric", o.metric,
      "Metrics to judge, comma-separated, or 'all' (default: wall_ns, peak_live_bytes, allocs, bytes_allocated, "
      "live_bytes_at_end, peak_rss_bytes).");
  o.ignore_env_flag =
      app.add_flag("--ignore-env", o.ignore_env, "Gate timed metrics even when the baseline ran on another machine.");
}

bool GateOptions::given() const {
  return threshold_flag->count() || metric_flag->count() || ignore_env_flag->count();
}

CompareOptions GateOptions::parse() const {
  CompareOptions c;
  c.thresholds = parse_thresholds(threshold);
  if (!metric.empty()) c.metrics = parse_metric_list(metric);
  c.ignore_env = ignore_env;
  return c;
}

}  // namespace allocbench
