// Named, typed, bounded workload parameters: `--param small-object-churn.ops=1000000`.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace allocbench {

enum class ParamType {
  count,  // a plain integer
  bytes,  // an integer that also accepts the suffixes K, M, G (powers of 1024)
};

struct ParamSpec {
  std::string name;
  ParamType type;
  int64_t default_value;
  int64_t min;
  int64_t max;
  std::string help;
};

// Every parameter of a workload, defaults filled in, keyed by name.
using ParamValues = std::map<std::string, int64_t>;

std::string_view to_string(ParamType type);

// Parses `text` as a value of `spec`; throws a usage error naming `context` (the flag
// as the user wrote it) and the expected type and bounds.
int64_t parse_param_value(const ParamSpec& spec, std::string_view text, std::string_view context);

// Defaults of every spec, overridden by `overrides` (name → text). Unknown names are
// usage errors that list the known ones.
ParamValues resolve_params(std::string_view workload, const std::vector<ParamSpec>& specs,
                           const std::map<std::string, std::string>& overrides);

}  // namespace allocbench
