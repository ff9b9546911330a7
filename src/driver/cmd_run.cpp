// allocbench run: every selected backend × workload, a fresh worker per repetition,
// summarised into a report.
#include "build_info.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "driver/commands.hpp"
#include "driver/runner.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace allocbench {
namespace {

int run_run(const RunOptions& o) {
  Plan plan = make_plan(o);
  if (!o.output.empty()) check_writable(o.output, "--output");
  if (build_info::build_type != "Release")
    warn("this allocbench is not a Release build: its own overhead inflates the times; build with 'make'");

  Progress progress(plan.jobs.size(), Progress::choose(o.verbose));
  RunOutcome run = execute(plan, progress);
  progress.clear();

  std::string report = find_reporter(o.format)(ReportInput{run.results, run.failures});
  if (o.output.empty()) {
    std::fwrite(report.data(), 1, report.size(), stdout);
    std::fflush(stdout);
  } else {
    write_file_atomically(o.output, report, "--output");
  }
  for (const auto& f : run.failures)
    fmt::print(stderr, "allocbench: error: backend '{}', workload '{}': {}\n", f.backend, f.workload, f.reason);
  return static_cast<int>(run.failures.empty() ? ExitCode::ok : ExitCode::run_failed);
}

}  // namespace

void warn(const char* message) {
  const char* off = std::getenv("ALLOCBENCH_NO_WARNINGS");
  if (off && *off && std::string_view(off) != "0") return;
  fmt::print(stderr, "allocbench: warning: {}\n", message);
}

void setup_run(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("run", "Run workloads on allocators, a fresh process per repetition, and report.");
  auto opt = std::make_shared<RunOptions>();
  add_run_options(*cmd, *opt);
  cmd->callback([opt, &exit_code] { exit_code = run_run(*opt); });
}

}  // namespace allocbench
