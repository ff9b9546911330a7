// Results ⇄ JSON, schema "allocbench-results/1". Keys are sorted and the layout fixed,
// so that a diff of two files shows only what changed.
#pragma once

#include "results/results.hpp"

#include <nlohmann/json.hpp>

namespace allocbench {

nlohmann::json to_json(const Results& results);

}  // namespace allocbench
