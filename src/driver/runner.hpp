// Executes a plan: a fresh worker process per repetition, failures isolated per cell.
#pragma once

#include "driver/progress.hpp"
#include "driver/plan.hpp"
#include "report/report.hpp"
#include "results/results.hpp"

namespace allocbench {

struct RunOutcome {
  Results results;
  std::vector<FailedCell> failures;
  bool interrupted = false;  // stopped by a signal: incomplete, and nothing may be saved
  size_t jobs_run = 0;
};

RunOutcome execute(const Plan& plan, Progress& progress);

}  // namespace allocbench
