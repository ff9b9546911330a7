#include "driver/runner.hpp"

#include "common/cpu_info.hpp"
#include "common/error.hpp"
#include "common/scratch_directory.hpp"
#include "driver/callgrind.hpp"
#include "driver/environment.hpp"
#include "driver/interrupt.hpp"
#include "driver/spawn.hpp"
#include "driver/symbolize.hpp"
#include "results/aggregate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

namespace allocbench {
namespace {

std::string describe(const Plan& plan, const Job& job) {
  switch (job.kind) {
    case JobKind::counted: return "counted run";
    case JobKind::warmup: return fmt::format("warm-up {}/{}", job.index + (plan.counting ? 1 : 0), plan.warmup);
    case JobKind::measured:
      return plan.auto_reps ? fmt::format("rep {} (--reps auto: look {}, up to {} reps)", job.index, job.look, plan.max_reps)
                            : fmt::format("rep {}/{}", job.index, plan.reps);
    case JobKind::latency: return fmt::format("latency of rep {}", job.index);
  }
  return {};
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A repetition measured under callgrind: its counts replace the metrics the worker
// measured by the clock, which valgrind's slowdown made meaningless.
void take_callgrind_costs(Repetition& rep, const std::string& file) {
  try {
    rep.metrics = callgrind_costs(read_text(file), file);
  } catch (const Error& e) {
    throw run_error("ran, but {}", e.what());
  }
  rep.measure = measure_instructions;
  std::filesystem::remove(file);
}

}  // namespace

struct Runner::State {
  RunOutcome outcome;
  std::optional<ScratchDirectory> scratch, program_output;
  std::vector<std::vector<Repetition>> measured;
  std::vector<std::optional<Repetition>> counted;
  std::vector<std::vector<Repetition>> latency;
  std::vector<std::string> failure;  // first failure of a cell ends it
  std::vector<std::vector<std::string>> environment;
  std::string stopped;  // why the remaining jobs do not run
};

Runner::Runner(const Plan& plan, Progress& progress)
    : plan_(plan), progress_(progress), state_(std::make_unique<State>()) {
  State& s = *state_;
  s.outcome.results.environment = current_environment();
  if (plan.latency) s.outcome.results.environment.latency_clock = invariant_tsc() ? "tsc" : "clock_gettime";
  if (plan.callgrind) {
    s.scratch.emplace("callgrind");
    s.outcome.results.environment.valgrind = callgrind_fingerprint(*plan.callgrind);
  }
  if (std::any_of(plan.cells.begin(), plan.cells.end(), [](const Cell& c) { return c.launch.has_value(); }))
    s.program_output.emplace("program");
  s.measured.resize(plan.cells.size());
  s.counted.resize(plan.cells.size());
  s.latency.resize(plan.cells.size());
  s.failure.resize(plan.cells.size());
  for (size_t c = 0; c < plan.cells.size(); ++c)
    if (const auto& launch = plan.cells[c].launch; launch && !launch->error.empty())
      s.failure[c] = fmt::format("backend '{}' cannot run programs: {}", plan.cells[c].backend.label, launch->error);
  if (plan.fail_fast && std::any_of(s.failure.begin(), s.failure.end(), [](const auto& f) { return !f.empty(); }))
    s.stopped = "not finished: --fail-fast stopped the run at the first failure";
  for (const Cell& cell : plan.cells)
    s.environment.push_back(cell.launch ? launcher_environment(cell.backend) : worker_environment(cell.backend));
}

Runner::~Runner() = default;

bool Runner::stopped() const { return !state_->stopped.empty(); }

bool Runner::failed(size_t cell) const { return !state_->failure[cell].empty(); }

std::vector<int> Runner::measured() const {
  std::vector<int> counts;
  for (const auto& reps : state_->measured) counts.push_back(static_cast<int>(reps.size()));
  return counts;
}

void Runner::run(const std::vector<Job>& jobs) {
  State& s = *state_;
  const Plan& plan = plan_;
  for (const Job& job : jobs) {
    const Cell& cell = plan.cells[job.cell];
    if (!s.failure[job.cell].empty() || !s.stopped.empty()) {
      progress_.end();
      continue;
    }
    progress_.begin(fmt::format("{} · {} · {}", cell.backend.label, cell.workload->name, describe(plan, job)));
    std::vector<std::string> argv = worker_argv(plan, job);
    if (cell.launch) argv.insert(argv.end(), {"--output-dir", s.program_output->path()});
    bool simulated = s.scratch && job.kind == JobKind::measured;
    std::string costs_file = simulated ? s.scratch->file(fmt::format("rep-{}.out", s.outcome.jobs_run)) : "";
    if (simulated) {
      std::vector<std::string> under = callgrind_command(*plan.callgrind, costs_file);
      argv.insert(argv.begin(), under.begin(), under.end());
    }
    ProcessOutcome p = run_process(argv, plan.timeout, &s.environment[job.cell]);
    progress_.end();
    if (interrupted()) {  // the signal killed this worker: not its failure
      s.outcome.interrupted = true;
      s.stopped = "not finished: the run was interrupted";
      continue;
    }
    ++s.outcome.jobs_run;
    std::string error;
    try {
      if (!p.ok()) throw run_error("{}", p.describe_failure());
      Repetition rep = parse_repetition(p.out);
      rep.backend = cell.backend.label;  // the worker knows its allocator, not the settings
      if (simulated) take_callgrind_costs(rep, costs_file);
      for (LeakSite& site : rep.leak_sites) site.stack = symbolize(site.stack);  // off the clock
      if (job.kind == JobKind::counted) s.counted[job.cell] = std::move(rep);
      if (job.kind == JobKind::measured) s.measured[job.cell].push_back(std::move(rep));
      if (job.kind == JobKind::latency) s.latency[job.cell].push_back(std::move(rep));
    } catch (const Error& e) {
      error = e.what();
    }
    if (!error.empty()) {
      s.failure[job.cell] = fmt::format("{}: the {} {}", describe(plan, job), cell.launch ? "launcher" : "worker", error);
      if (plan.fail_fast) s.stopped = "not finished: --fail-fast stopped the run at the first failure";
    }
  }
}

RunOutcome Runner::outcome() const {
  const State& s = *state_;
  RunOutcome outcome{{s.outcome.results.environment, {}}, {}, s.outcome.interrupted, s.outcome.jobs_run};
  for (size_t c = 0; c < plan_.cells.size(); ++c) {
    const Cell& cell = plan_.cells[c];
    std::string failure = s.failure[c];
    if (failure.empty() && s.measured[c].empty()) failure = s.stopped;
    if (failure.empty()) {
      try {
        outcome.results.results.push_back(aggregate(s.measured[c], s.counted[c] ? &*s.counted[c] : nullptr, s.latency[c]));
        outcome.results.results.back().environment = outcome.results.environment;
        continue;
      } catch (const Error& e) {
        failure = e.what();
      }
    }
    outcome.failures.push_back({cell.backend.label, std::string(cell.workload->name), failure});
  }
  return outcome;
}

RunOutcome execute(const Plan& plan, Progress& progress) {
  Runner runner(plan, progress);
  runner.run(plan.jobs);
  return runner.outcome();
}

}  // namespace allocbench
