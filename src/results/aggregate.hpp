// From the workers' per-repetition reports to one Result per cell.
#pragma once

#include "results/results.hpp"

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace allocbench {

// Checks one worker report (the JSON object a worker printed) and returns a message
// naming the first field that is missing or malformed; empty when it is well-formed.
std::string validate_sample(const nlohmann::json& sample);

// `measured` (uncounted, timed repetitions) and `counted` (the repetition run with the
// counting wrapper, or none) must be validated and of one cell. Times come from the
// measured ones only; counted metrics from the counted one. Throws a run error when
// they disagree on the work done (checksum): the workload is not deterministic.
Result aggregate(const std::vector<nlohmann::json>& measured, const nlohmann::json* counted);

}  // namespace allocbench
