// Executes a plan: a fresh worker process per repetition, failures isolated per cell.
#pragma once

#include "driver/progress.hpp"
#include "driver/run_options.hpp"
#include "report/report.hpp"
#include "results/results.hpp"

namespace allocbench {

struct RunOutcome {
  Results results;
  std::vector<FailedCell> failures;
};

RunOutcome execute(const Plan& plan, Progress& progress);

}  // namespace allocbench
