// Checks `NAME:KEY=VALUE,...` settings against an allocator's known options, and
// proves in the worker that they took effect.
#pragma once

#include "worker/backend.hpp"

#include <nlohmann/json_fwd.hpp>

namespace allocbench {

// "narenas=2,background_thread=true" → canonical settings sorted by key. Unknown keys
// and bad values are usage errors naming the option and listing the valid ones.
Settings parse_settings(const Tuning& tuning, std::string_view backend, std::string_view text);

// The canonical text of an integer value of `option` ("true"/"false" for booleans).
std::string canonical_value(const Tunable& option, int64_t value);

// One environment variable per setting: PREFIX + the key in upper case.
std::map<std::string, std::string> variable_per_setting(std::string_view prefix, const Settings& settings);

// Per setting: {"requested": "2", "effective": "2"}, effective null where the allocator
// cannot tell. A setting whose effective value differs is a run error.
nlohmann::json check_effective(const Tuning& tuning, std::string_view backend, const Settings& settings);

// Tunables as JSON for `allocbench list`: name, kind, range or choices, help.
nlohmann::json describe_tuning(const Tuning& tuning);

}  // namespace allocbench
