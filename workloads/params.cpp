#include "workloads/params.hpp"

#include "common/error.hpp"

#include <fmt/ranges.h>

#include <charconv>
#include <limits>

namespace allocbench {

std::string_view to_string(ParamType type) { return type == ParamType::bytes ? "bytes" : "count"; }

namespace {

int64_t suffix_multiplier(char c) {
  switch (c) {
    case 'K': case 'k': return int64_t{1} << 10;
    case 'M': case 'm': return int64_t{1} << 20;
    case 'G': case 'g': return int64_t{1} << 30;
    default: return 0;
  }
}

}  // namespace

int64_t parse_param_value(const ParamSpec& spec, std::string_view text, std::string_view context) {
  auto expected = [&] {
    return usage_error("{}: expected {} from {} to {}{}, got '{}'", context,
                       spec.type == ParamType::bytes ? "a byte size" : "an integer", spec.min, spec.max,
                       spec.type == ParamType::bytes ? " (suffixes K, M, G allowed)" : "", text);
  };
  int64_t multiplier = 1;
  std::string_view digits = text;
  if (spec.type == ParamType::bytes && !digits.empty()) {
    if (int64_t m = suffix_multiplier(digits.back())) {
      multiplier = m;
      digits.remove_suffix(1);
    }
  }
  int64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) throw expected();
  if (value > std::numeric_limits<int64_t>::max() / multiplier ||
      value < std::numeric_limits<int64_t>::min() / multiplier)
    throw expected();
  value *= multiplier;
  if (value < spec.min || value > spec.max) throw expected();
  return value;
}

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
    values[name] = parse_param_value(*spec, text, fmt::format("--param {}.{}", workload, name));
  }
  return values;
}

}  // namespace allocbench
