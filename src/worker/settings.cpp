#include "worker/settings.hpp"

#include "common/error.hpp"
#include "common/typed_value.hpp"

#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace allocbench {
namespace {

std::string setting_names(const SettingsSchema& schema) {
  std::vector<std::string_view> names;
  for (const auto& o : schema.specs) names.push_back(o.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

const SettingSpec& find_setting(const SettingsSchema& schema, std::string_view backend, std::string_view key) {
  for (const auto& o : schema.specs)
    if (o.name == key) return o;
  if (schema.specs.empty()) throw usage_error("--backend {}: this allocator takes no settings", backend);
  throw usage_error("--backend {}: unknown setting '{}'; valid: {}", backend, key, setting_names(schema));
}

std::string canonical(const SettingSpec& o, std::string_view backend, std::string_view text) {
  auto context = fmt::format("--backend {}: setting {}", backend, o.name);
  switch (o.kind) {
    case SettingSpec::Kind::boolean:
      if (text == "true" || text == "1") return "true";
      if (text == "false" || text == "0") return "false";
      throw usage_error("{}: expected true or false, got '{}'", context, text);
    case SettingSpec::Kind::choice:
      if (std::find(o.choices.begin(), o.choices.end(), text) != o.choices.end()) return std::string(text);
      throw usage_error("{}: expected one of {}, got '{}'", context, fmt::join(o.choices, ", "), text);
    case SettingSpec::Kind::integer:
    case SettingSpec::Kind::bytes:
      return std::to_string(parse_value(
          {o.kind == SettingSpec::Kind::bytes ? ValueType::bytes : ValueType::count, o.min, o.max, o.multiple_of}, text,
          context));
  }
  return {};
}

}  // namespace

Settings parse_settings(const SettingsSchema& schema, std::string_view backend, std::string_view text) {
  Settings settings;
  for (size_t start = 0; start <= text.size();) {
    size_t comma = std::min(text.find(',', start), text.size());
    std::string_view pair = text.substr(start, comma - start);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0)
      throw usage_error("--backend {}: expected KEY=VALUE, got '{}'", backend, pair);
    const SettingSpec& o = find_setting(schema, backend, pair.substr(0, eq));
    if (std::any_of(settings.begin(), settings.end(), [&](auto& s) { return s.first == o.name; }))
      throw usage_error("--backend {}: setting {} is given twice", backend, o.name);
    settings.emplace_back(std::string(o.name), canonical(o, backend, pair.substr(eq + 1)));
    start = comma + 1;
  }
  std::sort(settings.begin(), settings.end());
  return settings;
}

std::string canonical_value(const SettingSpec& spec, int64_t value) {
  if (spec.kind == SettingSpec::Kind::boolean) return value ? "true" : "false";
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

std::map<std::string, SettingValue> check_effective(const SettingsSchema& schema, std::string_view backend,
                                                    const Settings& settings) {
  std::map<std::string, SettingValue> out;
  for (const auto& [key, requested] : settings) {
    std::optional<std::string> effective = schema.effective(find_setting(schema, backend, key));
    if (effective && *effective != requested)
      throw run_error("{}: setting {}={} did not take effect: the allocator reports {}", backend, key, requested,
                      *effective);
    out[key] = {requested, effective};
  }
  return out;
}

nlohmann::json describe_settings(const SettingsSchema& schema) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& o : schema.specs) {
    nlohmann::json j = {{"name", o.name}, {"help", o.help}};
    switch (o.kind) {
      case SettingSpec::Kind::boolean: j["type"] = "bool"; break;
      case SettingSpec::Kind::choice: j["type"] = "choice"; j["choices"] = o.choices; break;
      case SettingSpec::Kind::integer:
      case SettingSpec::Kind::bytes:
        j["type"] = o.kind == SettingSpec::Kind::bytes ? "bytes" : "count";
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
