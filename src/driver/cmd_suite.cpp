// allocbench suite: real programs from Debian packages (suite_programs.hpp), each run on
// every backend as a cmd: workload, so that the allocator is proven inside it and every
// run measures as for any workload; then the summary of report/suite_report.hpp.
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "driver/commands.hpp"
#include "driver/preparation.hpp"
#include "driver/progress.hpp"
#include "driver/recording.hpp"
#include "driver/run_options.hpp"
#include "driver/runner.hpp"
#include "driver/spawn.hpp"
#include "driver/suite_programs.hpp"
#include "report/format_units.hpp"
#include "report/suite_report.hpp"
#include "results/baseline.hpp"
#include "results/results_file.hpp"
#include "trace/replay_cache.hpp"
#include "workloads/command.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iterator>
#include <memory>

namespace allocbench {
namespace {

namespace fs = std::filesystem;

struct SuiteCommand {
  std::vector<std::string> programs{"all"};
  std::vector<std::string> backends{"all"};
  std::string reference = "system";
  double scale = 1;
  int reps = 5;
  double timeout_s = 300;
  std::string format = "table";
  std::string output;
  std::string save_baseline;  // a results file of every run, merged into what it holds
  std::string inputs;  // where the inputs are written and the programs run
  bool install = false;
  bool replay = false;  // also record each program once and replay it (trace:) on every backend
  bool verbose = false;
};

bool installed(const SuiteProgram& p) { return ::access(std::string(p.executable).c_str(), X_OK) == 0; }

// apt-get install of the missing programs' packages, in the foreground (sudo unless root).
void install_packages(const std::vector<const SuiteProgram*>& programs) {
  std::vector<std::string> packages;
  for (const SuiteProgram* p : programs)
    if (!installed(*p)) packages.emplace_back(p->package);
  if (packages.empty()) return;
  fmt::print(stderr, "allocbench suite: installing {} for the suite\n", fmt::join(packages, ", "));
  std::vector<std::string> environment{"DEBIAN_FRONTEND=noninteractive"};
  for (char** e = environ; *e; ++e) environment.emplace_back(*e);
  std::vector<std::string> sudo = ::geteuid() == 0 ? std::vector<std::string>{} : std::vector<std::string>{"sudo"};
  auto apt = [&](std::vector<std::string> args) {
    args.insert(args.begin(), sudo.begin(), sudo.end());
    ProcessOutcome o = run_attached(args, environment);
    if (!o.ok()) throw run_error("suite --install: '{}' {}", fmt::join(args, " "), o.describe_failure());
  };
  apt({"apt-get", "update", "-qq"});
  std::vector<std::string> install{"apt-get", "install", "-y", "-qq", "--no-install-recommends"};
  install.insert(install.end(), packages.begin(), packages.end());
  apt(install);
}

// Records the program once, run where it runs for the suite (the working directory), and
// returns the trace's path: absolute, as the inputs directory is part of the work.
std::string record_here(const SuiteProgram& p, const std::string& command, double timeout_s) {
  std::string trace = (fs::current_path() / (std::string(p.name) + ".trace")).string();
  Recording r = record_program(split_command(command), trace, false,
                               std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000)));
  if (!r.run.ok()) throw run_error("suite --replay: recording {}: '{}' {}", p.name, command, r.run.describe_failure());
  fmt::print(stderr, "allocbench suite: recorded {}: {} operations on {} thread{}{}\n", p.name, format_count(r.shape.operations),
             r.shape.threads, r.shape.threads == 1 ? "" : "s",
             r.child_traces ? fmt::format(" (its {} child processes are not replayed)", r.child_traces) : "");
  return trace;
}

std::string today() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char text[16];
  std::strftime(text, sizeof text, "%Y-%m-%d", &utc);
  return text;
}

int run_suite(const SuiteCommand& o) {
  std::vector<const SuiteProgram*> selected = select_programs(o.programs);
  if (std::find(suite_formats().begin(), suite_formats().end(), o.format) == suite_formats().end())
    throw usage_error("--format: unknown format '{}'; known: {}", o.format, fmt::join(suite_formats(), ", "));
  std::string output = o.output.empty() ? "" : fs::absolute(o.output).string();  // before the chdir below
  if (!output.empty()) check_writable(output, "--output");
  std::string baseline = o.save_baseline.empty() ? "" : fs::absolute(o.save_baseline).string();
  Results saved;  // what --save-baseline merges into, read now: a broken file costs no run
  if (!baseline.empty()) {
    if (fs::exists(baseline)) saved = read_results_file(baseline, "baseline");
    check_writable(baseline, "--save-baseline");
  }
  // A preload: library named relatively, from here: the programs run in the inputs directory.
  auto from_here = [](std::string b) {
    if (b.starts_with("preload:") && fs::path(b.substr(8)).is_relative())
      b = "preload:" + fs::absolute(b.substr(8)).lexically_normal().string();
    return b;
  };
  RunOptions run;
  run.backends.clear();
  std::transform(o.backends.begin(), o.backends.end(), std::back_inserter(run.backends), from_here);
  std::string reference = from_here(o.reference);
  {  // the backends and the reference, checked before anything is installed, written or recorded
    RunOptions only_backends = run;
    only_backends.workloads = {"empty"};
    Plan checked = make_plan(only_backends);
    if (std::none_of(checked.cells.begin(), checked.cells.end(), [&](const Cell& c) { return c.backend.label == reference; }))
      throw usage_error("--reference: backend '{}' is not among those run (--backend): the summary is relative to it",
                        o.reference);
  }
  if (o.install) install_packages(selected);

  std::vector<SuiteEntry> entries;
  run.reps = std::to_string(o.reps);
  run.timeout_s = o.timeout_s;
  run.verbose = o.verbose;
  run.workloads.clear();
  fs::path inputs = o.inputs.empty() ? fs::path(trace::cache_directory()) / "suite" / fmt::format("scale-{:g}", o.scale)
                                     : fs::absolute(o.inputs);
  std::error_code ec;
  fs::create_directories(inputs, ec);
  // The programs run where their inputs are, named relatively: the same command lines everywhere.
  if (!ec) fs::current_path(inputs, ec);
  if (ec) throw usage_error("--inputs: cannot use the directory {}: {}", inputs.string(), ec.message());
  for (const SuiteProgram* p : selected) {
    SuiteEntry e{std::string(p->name), std::string(p->package), std::string(p->behaviour), "", "", ""};
    if (!installed(*p)) {
      e.skipped = fmt::format("{} is not installed: install the Debian package '{}' (allocbench suite --install, or "
                              "install-deps.sh programs)",
                              p->executable, p->package);
    } else {
      std::string command = p->prepare(inputs, o.scale);
      e.workload = "cmd:" + command;
      run.workloads.push_back(e.workload);
      if (o.replay) {
        e.replay = "trace:" + record_here(*p, command, o.timeout_s);
        run.workloads.push_back(e.replay);
      }
    }
    entries.push_back(std::move(e));
  }
  if (run.workloads.empty())
    throw usage_error("none of the selected programs is installed ({}): run allocbench suite --install, or "
                      "install-deps.sh programs",
                      fmt::join(o.programs, ", "));
  Plan plan = make_plan(run);
  Preparation prepared(plan, false);
  Progress progress(plan.jobs.size(), Progress::choose(o.verbose));
  Runner runner(plan, progress);
  runner.run(plan.jobs);
  RunOutcome outcome = runner.outcome();
  progress.clear();

  SuiteSummary summary = summarize_suite(entries, outcome.results, outcome.failures, reference);
  std::string text = suite_report(summary, outcome.results, {today(), o.scale, o.reps}, o.format);
  if (output.empty() || outcome.interrupted) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  } else {
    write_file_atomically(output, text, "--output");
  }
  if (!baseline.empty() && !outcome.interrupted)
    write_file_atomically(baseline, results_file_text(merge_baseline(saved, outcome.results)), "--save-baseline");
  if (outcome.interrupted) {
    fmt::print(stderr, "allocbench: interrupted after {} of {} repetitions: the summary shows what finished; no file "
                       "was written\n",
               outcome.jobs_run, plan.jobs.size());
    return static_cast<int>(ExitCode::run_failed);
  }
  for (const auto& f : outcome.failures)
    fmt::print(stderr, "allocbench: error: backend '{}', workload '{}': {}\n", f.backend, f.workload, f.reason);
  return static_cast<int>(outcome.failures.empty() ? ExitCode::ok : ExitCode::run_failed);
}

}  // namespace

void setup_suite(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("suite",
                                 "Run real programs from Debian packages (CPython, Lua, SQLite, z3, Ghostscript, g++) on "
                                 "every backend and summarise each backend's time and peak RSS relative to system's.");
  auto opt = std::make_shared<SuiteCommand>();
  cmd->add_option("--programs", opt->programs,
                  "Programs to run, comma-separated, or 'all' (default: all; see docs/suite.md for the list).")
      ->delimiter(',');
  cmd->add_option("--backend", opt->backends,
                  "Allocators to run, comma-separated, or 'all' (default: all that are built); must include the "
                  "reference.")
      ->delimiter(',');
  cmd->add_option("--reference", opt->reference, "The backend the others are relative to (default: system).");
  cmd->add_option("--scale", opt->scale,
                  "Size of every program's input: 1 takes a few seconds per run here; 0.05 is the smallest useful "
                  "(default: 1).")
      ->check(CLI::Range(0.01, 100.0));
  cmd->add_option("--reps", opt->reps, "Measured repetitions per backend and program, 1 to 1000 (default: 5).")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--timeout", opt->timeout_s, "Seconds one repetition may take before it is killed (default: 300).")
      ->check(CLI::Range(0.1, 86400.0));
  cmd->add_option("--format", opt->format, "Summary format: table, markdown, html or json (default: table).");
  cmd->add_option("--output", opt->output, "Write the summary to FILE (atomically) instead of stdout.");
  cmd->add_option("--save-baseline", opt->save_baseline,
                  "Save every result into this results file, as run --save-baseline does (entries that ran replace "
                  "theirs, others are kept): for compare, report, merge and history.");
  cmd->add_option("--inputs", opt->inputs,
                  "Directory the programs' inputs are written to and the programs run in (default: the cache "
                  "directory's suite/scale-S).");
  cmd->add_flag("--install", opt->install, "First install the selected programs' missing Debian packages (apt-get).");
  cmd->add_flag("--replay", opt->replay,
                "Also record each program once and replay its allocator calls (trace:) on every backend: the summary "
                "says whether the replay ranks the backends as the real runs do, and how much of their differences it "
                "explains.");
  cmd->add_flag("--verbose", opt->verbose, "Print a line per repetition on stderr.");
  cmd->callback([opt, &exit_code] { exit_code = run_suite(*opt); });
}

}  // namespace allocbench
