#include "driver/runner.hpp"

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
    case JobKind::measured: return fmt::format("rep {}/{}", job.index, plan.reps);
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

RunOutcome execute(const Plan& plan, Progress& progress) {
  RunOutcome outcome{{current_environment(), {}}, {}};
  std::optional<ScratchDirectory> scratch, program_output;
  if (plan.callgrind) {
    scratch.emplace("callgrind");
    outcome.results.environment.valgrind = callgrind_fingerprint(*plan.callgrind);
  }
  if (std::any_of(plan.cells.begin(), plan.cells.end(), [](const Cell& c) { return c.launch.has_value(); }))
    program_output.emplace("program");
  std::vector<std::vector<Repetition>> measured(plan.cells.size());
  std::vector<std::optional<Repetition>> counted(plan.cells.size());
  std::vector<std::string> failure(plan.cells.size());  // first failure of a cell ends it

  for (size_t c = 0; c < plan.cells.size(); ++c)
    if (const auto& launch = plan.cells[c].launch; launch && !launch->error.empty())
      failure[c] = fmt::format("backend '{}' cannot run programs: {}", plan.cells[c].backend.label, launch->error);
  std::string stopped;  // why the remaining jobs do not run
  if (plan.fail_fast && std::any_of(failure.begin(), failure.end(), [](const auto& f) { return !f.empty(); }))
    stopped = "not finished: --fail-fast stopped the run at the first failure";
  std::vector<std::vector<std::string>> environment;
  for (const Cell& cell : plan.cells)
    environment.push_back(cell.launch ? launcher_environment(cell.backend) : worker_environment(cell.backend));
  for (const Job& job : plan.jobs) {
    const Cell& cell = plan.cells[job.cell];
    if (!failure[job.cell].empty() || !stopped.empty()) {
      progress.end();
      continue;
    }
    progress.begin(fmt::format("{} · {} · {}", cell.backend.label, cell.workload->name, describe(plan, job)));
    std::vector<std::string> argv = worker_argv(plan, job);
    if (cell.launch) argv.insert(argv.end(), {"--output-dir", program_output->path()});
    bool simulated = scratch && job.kind == JobKind::measured;
    std::string costs_file = simulated ? scratch->file(fmt::format("rep-{}.out", outcome.jobs_run)) : "";
    if (simulated) {
      std::vector<std::string> under = callgrind_command(*plan.callgrind, costs_file);
      argv.insert(argv.begin(), under.begin(), under.end());
    }
    ProcessOutcome p = run_process(argv, plan.timeout, &environment[job.cell]);
    progress.end();
    if (interrupted()) {  // the signal killed this worker: not its failure
      outcome.interrupted = true;
      stopped = "not finished: the run was interrupted";
      continue;
    }
    ++outcome.jobs_run;
    std::string error;
    try {
      if (!p.ok()) throw run_error("{}", p.describe_failure());
      Repetition rep = parse_repetition(p.out);
      rep.backend = cell.backend.label;  // the worker knows its allocator, not the settings
      if (simulated) take_callgrind_costs(rep, costs_file);
      for (LeakSite& site : rep.leak_sites) site.stack = symbolize(site.stack);  // off the clock
      if (job.kind == JobKind::counted) counted[job.cell] = std::move(rep);
      if (job.kind == JobKind::measured) measured[job.cell].push_back(std::move(rep));
    } catch (const Error& e) {
      error = e.what();
    }
    if (!error.empty()) {
      failure[job.cell] = fmt::format("{}: the {} {}", describe(plan, job), cell.launch ? "launcher" : "worker", error);
      if (plan.fail_fast) stopped = "not finished: --fail-fast stopped the run at the first failure";
    }
  }

  for (size_t c = 0; c < plan.cells.size(); ++c) {
    const Cell& cell = plan.cells[c];
    if (failure[c].empty() && measured[c].empty()) failure[c] = stopped;
    if (failure[c].empty()) {
      try {
        outcome.results.results.push_back(aggregate(measured[c], counted[c] ? &*counted[c] : nullptr));
        outcome.results.results.back().environment = outcome.results.environment;
        continue;
      } catch (const Error& e) {
        failure[c] = e.what();
      }
    }
    outcome.failures.push_back({cell.backend.label, std::string(cell.workload->name), failure[c]});
  }
  return outcome;
}

}  // namespace allocbench
