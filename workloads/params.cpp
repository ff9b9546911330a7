#include "workloads/params.hpp"

#include "common/error.hpp"

#include <fmt/ranges.h>

namespace allocbench {

ParamValues resolve_params(std::string_view workload, const std::vector<ParamSpec>& specs,
                           const std::map<std::string, std::string>& overrides) {
  ParamValues values;
  for (const auto& spec : specs) values[spec.name] = spec.default_value;
  for (const auto& [name, text] : overrides) {
    const ParamSpec* spec = nullptr;
    for (const auto& s : specs)
      if (s.name == name) spec = &s;
    if (!spec) {
      std::vector<std::string> known;
      for (const auto& s : specs) known.push_back(s.name);
      throw usage_error("--param {}.{}: unknown parameter of workload '{}'; known: {}", workload, name, workload,
                        known.empty() ? "(none)" : fmt::format("{}", fmt::join(known, ", ")));
    }
    values[name] = parse_value(spec->range(), text, fmt::format("--param {}.{}", workload, name));
  }
  return values;
}

}  // namespace allocbench
