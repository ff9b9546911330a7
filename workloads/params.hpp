// Named, typed, bounded workload parameters: `--param small-object-churn.ops=1000000`.
#pragma once

#include "common/typed_value.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace allocbench {

struct ParamSpec {
  std::string name;
  ValueType type;
  int64_t default_value;
  int64_t min;
  int64_t max;
  std::string help;
  ValueRange range() const { return {type, min, max}; }
};

// Every parameter of a workload, defaults filled in, keyed by name.
using ParamValues = std::map<std::string, int64_t>;

// Defaults of every spec, overridden by `overrides` (name → text). Unknown names and bad
// values are usage errors that name the flag (--param WORKLOAD.NAME) and list the known names.
ParamValues resolve_params(std::string_view workload, const std::vector<ParamSpec>& specs,
                           const std::map<std::string, std::string>& overrides);

}  // namespace allocbench
