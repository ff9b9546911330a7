// libFuzzer target: the parsers of user-given flag values (workload parameters, --backend
// lists, --threshold, --metric) must accept or reject any text with a usage error.
#include "common/error.hpp"
#include "driver/backends.hpp"
#include "driver/gate_options.hpp"
#include "workloads/workload.hpp"

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

namespace {

template <typename F>
void expect_usage_error_at_most(F parse) {
  try {
    parse();
  } catch (const allocbench::Error& e) {
    if (e.code() != allocbench::ExitCode::bad_input) __builtin_trap();
  }
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, sep);) parts.push_back(part);
  return parts;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace allocbench;
  std::string text(reinterpret_cast<const char*>(data), size);
  expect_usage_error_at_most([&] { parse_thresholds(text); });
  expect_usage_error_at_most([&] { parse_metric_list(text); });
  expect_usage_error_at_most([&] { parse_backend_specs(split(text, ',')); });
  // "name=value;name=value" against every workload's parameters
  std::map<std::string, std::string> overrides;
  for (const auto& kv : split(text, ';')) {
    auto eq = kv.find('=');
    overrides[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
  }
  for (const auto* w : all_workloads())
    expect_usage_error_at_most([&] { resolve_params(w->name, w->params, overrides); });
  return 0;
}
