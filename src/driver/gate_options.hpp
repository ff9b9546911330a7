// The flags that judge results against a baseline, shared by `run`, `compare` and
// `calibrate`, and their parsing.
#pragma once

#include "common/error.hpp"
#include "results/compare.hpp"

#include <string>
#include <vector>

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace allocbench {

struct GateOptions {
  std::string threshold = "5";
  std::string metric;  // empty: the default gated metrics
  bool ignore_env = false;
  CLI::Option* threshold_flag = nullptr;  // to tell whether the user gave them; null: not a flag here
  CLI::Option* metric_flag = nullptr;
  CLI::Option* ignore_env_flag = nullptr;

  bool given() const;
  CompareOptions parse() const;  // usage errors name the flag
};

// --threshold, --metric and --ignore-env.
void add_gate_options(CLI::App& app, GateOptions& options);
// --metric alone: the metrics `calibrate` measures the noise of.
void add_metric_option(CLI::App& app, GateOptions& options);

// Throws a usage error listing the keys of both sides when no entry has a counterpart:
// a check that compared nothing must not pass.
void require_counterparts(const std::vector<ResultKey>& current, std::string_view current_name,
                          const std::vector<ResultKey>& baseline, std::string_view baseline_name);

// Prints the verdict's line (and what is not comparable) to stderr; returns the exit code
// it calls for: 2 when entries did different work, 1 on a gated regression or (when
// `inconclusive_fails`) an inconclusive verdict, else 0.
ExitCode verdict_exit(const CompareReport& report, bool inconclusive_fails);

// "10", "wall_ns=15,peak_live_bytes=0" or both ("5,wall_ns=10"), in percent.
Thresholds parse_thresholds(const std::string& text);

// "all", or a comma-separated list of metric names.
std::vector<std::string> parse_metric_list(const std::string& text);

}  // namespace allocbench
