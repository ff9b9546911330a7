// The flags that judge results against a baseline, shared by `run`, `compare` and
// `calibrate`.
#pragma once

#include "results/compare.hpp"

#include <string>

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace allocbench {

struct GateOptions {
  std::string threshold = "5";
  std::string metric;  // empty: the default gated metrics
  bool ignore_env = false;
  CLI::Option* threshold_flag = nullptr;  // to tell whether the user gave them
  CLI::Option* metric_flag = nullptr;
  CLI::Option* ignore_env_flag = nullptr;

  bool given() const;
  CompareOptions parse() const;  // usage errors name the flag
};

void add_gate_options(CLI::App& app, GateOptions& options);

}  // namespace allocbench
