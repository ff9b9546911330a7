// Checks `NAME:KEY=VALUE,...` settings against the settings an allocator knows, and
// proves in the worker that they took effect.
#pragma once

#include "results/results.hpp"
#include "worker/backend.hpp"

#include <nlohmann/json_fwd.hpp>

namespace allocbench {

// "narenas=2,background_thread=true" → canonical settings sorted by key. Unknown keys
// and bad values are usage errors naming the setting and listing the valid ones.
Settings parse_settings(const SettingsSchema& schema, std::string_view backend, std::string_view text);

// The canonical text of an integer value of `spec` ("true"/"false" for booleans).
std::string canonical_value(const SettingSpec& spec, int64_t value);

// One environment variable per setting: PREFIX + the key in upper case.
std::map<std::string, std::string> variable_per_setting(std::string_view prefix, const Settings& settings);

// Per setting: what was requested and what the allocator reports in effect (none where it
// cannot tell). A setting whose effective value differs is a run error.
std::map<std::string, SettingValue> check_effective(const SettingsSchema& schema, std::string_view backend, const Settings& settings);

// The settings as JSON for `allocbench list`: name, kind, range or choices, help.
nlohmann::json describe_settings(const SettingsSchema& schema);

}  // namespace allocbench
