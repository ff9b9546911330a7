// From the repetitions of one cell to one Result.
#pragma once

#include "results/repetition.hpp"
#include "results/results.hpp"

#include <vector>

namespace allocbench {

// `measured` (uncounted, timed repetitions) and `counted` (the repetition run with the
// counting wrapper, or none) must be of one cell. Times come from the measured ones
// only; counted metrics from the counted one. Throws a run error when they disagree on
// the work done (checksum): the workload is not deterministic.
Result aggregate(const std::vector<Repetition>& measured, const Repetition* counted);

}  // namespace allocbench
