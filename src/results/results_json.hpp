// Results ⇄ JSON, schema "allocbench-results/1". Keys are sorted and the layout fixed,
// so that a diff of two files shows only what changed. The pieces a results entry shares
// with a repetition report (repetition.hpp) are written and read here, once.
#pragma once

#include "results/json_checker.hpp"
#include "results/results.hpp"

#include <nlohmann/json.hpp>

namespace allocbench {

nlohmann::json to_json(const Results& results);

nlohmann::json to_json(const std::map<std::string, SettingValue>& settings);
nlohmann::json to_json(const Timeline& timeline);
nlohmann::json to_json(const std::vector<LeakSite>& sites);
nlohmann::json to_json(const std::vector<SlowCall>& calls);

// Each reads the member `key` of `holder` (at path `where`); `key` absent gives an empty
// value. Files before backend settings were named so call them "options": read too.
std::map<std::string, SettingValue> read_settings(const json& holder, const std::string& where, const Checker& c);
Timeline read_timeline(const json& holder, const std::string& where, const Checker& c);
std::vector<LeakSite> read_leak_sites(const json& holder, const std::string& where, const Checker& c);
std::vector<SlowCall> read_slow_calls(const json& holder, const std::string& where, const Checker& c);

}  // namespace allocbench
