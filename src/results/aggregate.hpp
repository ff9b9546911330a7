// From the repetitions of one cell to one Result.
#pragma once

#include "results/repetition.hpp"
#include "results/results.hpp"

#include <vector>

namespace allocbench {

// `measured` (uncounted, timed repetitions), `counted` (the repetition run with the
// counting wrapper, or none) and `latency` (run --latency's, whose every allocator call
// was timed) must be of one cell. Times come from the measured ones only; counted metrics
// from the counted one; the calls' percentiles from the latency ones, one sample each.
// Throws a run error when they disagree on the work done (checksum): the workload is not
// deterministic.
Result aggregate(const std::vector<Repetition>& measured, const Repetition* counted,
                 const std::vector<Repetition>& latency = {});

}  // namespace allocbench
