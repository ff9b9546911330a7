// Executes a plan: a fresh worker process per repetition, failures isolated per cell.
#pragma once

#include "driver/progress.hpp"
#include "driver/plan.hpp"
#include "report/report.hpp"
#include "results/results.hpp"

#include <memory>
#include <vector>

namespace allocbench {

struct RunOutcome {
  Results results;
  std::vector<FailedCell> failures;
  bool interrupted = false;  // stopped by a signal: incomplete, and nothing may be saved
  size_t jobs_run = 0;
};

// Runs jobs of a plan, keeping each cell's repetitions; more jobs can follow (--reps auto).
class Runner {
 public:
  Runner(const Plan& plan, Progress& progress);
  ~Runner();

  void run(const std::vector<Job>& jobs);
  bool stopped() const;            // interrupted, or --fail-fast after a failure
  std::vector<int> measured() const;  // measured repetitions of each cell so far
  bool failed(size_t cell) const;
  RunOutcome outcome() const;      // the results so far

 private:
  struct State;
  const Plan& plan_;
  Progress& progress_;
  std::unique_ptr<State> state_;
};

// A whole plan's jobs.
RunOutcome execute(const Plan& plan, Progress& progress);

}  // namespace allocbench
