#include "worker/tuning.hpp"

#include "common/error.hpp"
#include "workloads/params.hpp"

#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace allocbench {
namespace {

std::string option_names(const Tuning& tuning) {
  std::vector<std::string_view> names;
  for (const auto& o : tuning.options) names.push_back(o.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

const Tunable& find_option(const Tuning& tuning, std::string_view backend, std::string_view key) {
  for (const auto& o : tuning.options)
    if (o.name == key) return o;
  if (tuning.options.empty()) throw usage_error("--backend {}: this allocator takes no settings", backend);
  throw usage_error("--backend {}: unknown option '{}'; valid: {}", backend, key, option_names(tuning));
}

std::string canonical(const Tunable& o, std::string_view backend, std::string_view text) {
  auto context = fmt::format("--backend {}: option {}", backend, o.name);
  switch (o.kind) {
    case Tunable::Kind::boolean:
      if (text == "true" || text == "1") return "true";
      if (text == "false" || text == "0") return "false";
      throw usage_error("{}: expected true or false, got '{}'", context, text);
    case Tunable::Kind::choice:
      if (std::find(o.choices.begin(), o.choices.end(), text) != o.choices.end()) return std::string(text);
      throw usage_error("{}: expected one of {}, got '{}'", context, fmt::join(o.choices, ", "), text);
    case Tunable::Kind::integer:
    case Tunable::Kind::bytes: {
      ParamSpec spec{std::string(o.name), o.kind == Tunable::Kind::bytes ? ParamType::bytes : ParamType::count, 0,
                     o.min, o.max, {}};
      int64_t value = parse_param_value(spec, text, context);
      if (value % o.multiple_of)
        throw usage_error("{}: expected a multiple of {}, got '{}'", context, o.multiple_of, text);
      return std::to_string(value);
    }
  }
  return {};
}

}  // namespace

Settings parse_settings(const Tuning& tuning, std::string_view backend, std::string_view text) {
  Settings settings;
  for (size_t start = 0; start <= text.size();) {
    size_t comma = std::min(text.find(',', start), text.size());
    std::string_view pair = text.substr(start, comma - start);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0)
      throw usage_error("--backend {}: expected KEY=VALUE, got '{}'", backend, pair);
    const Tunable& o = find_option(tuning, backend, pair.substr(0, eq));
    if (std::any_of(settings.begin(), settings.end(), [&](auto& s) { return s.first == o.name; }))
      throw usage_error("--backend {}: option {} is given twice", backend, o.name);
    settings.emplace_back(std::string(o.name), canonical(o, backend, pair.substr(eq + 1)));
    start = comma + 1;
  }
  std::sort(settings.begin(), settings.end());
  return settings;
}

std::string canonical_value(const Tunable& option, int64_t value) {
  if (option.kind == Tunable::Kind::boolean) return value ? "true" : "false";
  return std::to_string(value);
}

std::map<std::string, std::string> variable_per_setting(std::string_view prefix, const Settings& settings) {
  std::map<std::string, std::string> env;
  for (const auto& [key, value] : settings) {
    std::string name(prefix);
    for (char c : key) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    env[name] = value;
  }
  return env;
}

nlohmann::json check_effective(const Tuning& tuning, std::string_view backend, const Settings& settings) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, requested] : settings) {
    const Tunable& o = find_option(tuning, backend, key);
    std::optional<std::string> effective = tuning.effective(o);
    if (effective && *effective != requested)
      throw run_error("{}: option {}={} did not take effect: the allocator reports {}", backend, key, requested,
                      *effective);
    out[key] = {{"requested", requested}, {"effective", effective ? nlohmann::json(*effective) : nlohmann::json()}};
  }
  return out;
}

nlohmann::json describe_tuning(const Tuning& tuning) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& o : tuning.options) {
    nlohmann::json j = {{"name", o.name}, {"help", o.help}};
    switch (o.kind) {
      case Tunable::Kind::boolean: j["type"] = "bool"; break;
      case Tunable::Kind::choice: j["type"] = "choice"; j["choices"] = o.choices; break;
      case Tunable::Kind::integer:
      case Tunable::Kind::bytes:
        j["type"] = o.kind == Tunable::Kind::bytes ? "bytes" : "count";
        j["min"] = o.min;
        j["max"] = o.max;
        if (o.multiple_of > 1) j["multiple_of"] = o.multiple_of;
        break;
    }
    list.push_back(j);
  }
  return list;
}

}  // namespace allocbench
