// allocbench run: every selected backend × workload, a fresh worker per repetition,
// summarised into a report; optionally saved as a baseline and judged against one.
#include "build_info.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "driver/commands.hpp"
#include "driver/gate_options.hpp"
#include "driver/runner.hpp"
#include "driver/auto_reps.hpp"
#include "driver/preparation.hpp"
#include "report/budget_report.hpp"
#include "report/run_report.hpp"
#include "report/verdict_report.hpp"
#include "results/baseline.hpp"
#include "results/results_file.hpp"
#include "results/sequential.hpp"
#include "results/statistics.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>

namespace allocbench {
namespace {

struct RunCommand {
  RunOptions run;
  std::string save_baseline;
  std::string baseline;
  std::string reference;
  std::string inconclusive = "fail";
  CLI::Option* inconclusive_flag = nullptr;
  GateOptions gate;
};

// Every file and flag is checked before the run starts: a mistake costs no minute of measuring.
struct Checked {
  Plan plan;
  std::optional<Results> baseline;
  Results saved;  // what --save-baseline merges into (empty for a new file)
  CompareOptions compare;
};

// The entries this run will make, as a baseline knows them.
std::vector<ResultKey> planned_keys(const Plan& plan) {
  std::vector<ResultKey> keys;
  for (const Cell& cell : plan.cells) {
    // A program has no seed of allocbench's; where it runs is part of what it does.
    bool program = cell.workload->kind == WorkloadKind::command;
    keys.push_back({cell.backend.label, std::string(cell.workload->name), plan.measure, cell.params,
                    program ? 0 : plan.seed, cell.threads, program ? std::filesystem::current_path().string() : ""});
  }
  return keys;
}

Checked check(const RunCommand& o) {
  if (!o.reference.empty() && !o.run.shard.empty())
    throw usage_error("--reference: judges the backends of one run against each other, and with --shard a workload's "
                      "backends may run in other jobs: merge the parts, then compare them with a baseline");
  Checked c{make_plan(o.run), std::nullopt, {}, o.gate.parse()};
  if (c.plan.auto_reps) {  // each look tests at its share of alpha
    c.compare.looks = look_sizes(c.plan.reps, c.plan.max_reps).size();
    c.compare.alpha = alpha_per_look(c.compare.alpha, c.compare.looks);
    if (!o.run.shard.empty() && o.baseline.empty())
      throw usage_error("--reps auto: without --baseline it ranks a workload's backends, which --shard may put in "
                        "other jobs: give a fixed --reps, or --baseline FILE");
    if (o.inconclusive_flag->count() && o.baseline.empty() && o.reference.empty())
      throw usage_error("--inconclusive: judges verdicts: give --baseline FILE or --reference BACKEND too (a ranking "
                        "fails no check)");
  } else if (o.inconclusive_flag->count()) {
    throw usage_error("--inconclusive: only --reps auto leaves a verdict inconclusive: give --reps auto too");
  }
  // Everything below reads files only: the worker processes of the preparation come after.
  if (!o.baseline.empty()) {
    c.baseline = read_results_file(o.baseline, "baseline");
  }
  if (!o.reference.empty()) {
    bool selected = std::any_of(c.plan.cells.begin(), c.plan.cells.end(),
                                [&](const Cell& cell) { return cell.backend.label == o.reference; });
    if (!selected) throw usage_error("--reference: backend '{}' is not among those run (--backend)", o.reference);
    if (std::all_of(c.plan.cells.begin(), c.plan.cells.end(),
                    [&](const Cell& cell) { return cell.backend.label == o.reference; }))
      throw usage_error("--reference: '{}' needs at least one other backend to compare with", o.reference);
  }
  if (!o.reference.empty() && o.gate.ignore_env_flag->count())
    throw usage_error("--ignore-env: --reference compares backends of this run, on this machine: there is no other "
                      "environment to ignore");
  if (o.gate.given() && o.baseline.empty() && o.reference.empty())
    throw usage_error("--threshold, --metric and --ignore-env judge results: give --baseline FILE or --reference "
                      "BACKEND too");
  if (!o.save_baseline.empty()) {
    if (std::filesystem::exists(o.save_baseline)) c.saved = read_results_file(o.save_baseline, "baseline");
    check_writable(o.save_baseline, "--save-baseline");
    auto reps = static_cast<size_t>(c.plan.reps);
    if (size_t needed = samples_needed(reps, c.compare.alpha); needed > reps && !c.plan.auto_reps)
      warn(fmt::format("--save-baseline with --reps {}: the U test can confirm a timed change against this baseline "
                       "only in runs of {} or more repetitions, so timed metrics will not be gated at --reps {}; "
                       "deterministic ones are gated always. Use --reps 5 or more for a baseline",
                       reps, needed, reps));
  }
  if (!o.run.output.empty()) check_writable(o.run.output, "--output");
  return c;
}

int run_run(const RunCommand& o) {
  Checked c = check(o);
  Preparation prepared(c.plan, o.run.no_cache);
  if (c.baseline)  // the keys of entries are known once traces are prepared (their threads)
    require_counterparts(planned_keys(c.plan), "this run", keys_of(*c.baseline), fmt::format("baseline '{}'", o.baseline));
  if (build_info::build_type != "Release")
    warn("this allocbench is not a Release build: its own overhead inflates the times; build with 'make'");

  auto judge = [&](const Results& results) -> std::optional<CompareReport> {
    if (c.baseline) return compare_results(results, *c.baseline, c.compare, o.baseline);
    if (!o.reference.empty()) return compare_to_reference(results, o.reference, c.compare);
    return std::nullopt;
  };
  auto start = std::chrono::steady_clock::now();
  Progress progress(c.plan.jobs.size(), Progress::choose(o.run.verbose));
  Runner runner(c.plan, progress);
  runner.run(c.plan.jobs);
  std::map<RowId, Comparison> settled;
  if (c.plan.auto_reps) settled = run_more_looks(c.plan, runner, progress, judge, c.compare.alpha, start);
  RunOutcome run = runner.outcome();
  progress.clear();

  std::optional<CompareReport> verdict = judge(run.results);
  std::optional<std::vector<Rank>> ranking;
  if (c.plan.auto_reps && verdict) settle(*verdict, settled);
  if (c.plan.auto_reps && !verdict) ranking = rank_backends(run.results, c.compare.alpha);

  // An interrupted run shows what finished on stdout and writes no file: a partial
  // result must not pass for a complete one.
  std::vector<BudgetBreach> breaches = check_budgets(run.results, c.plan.budgets);
  ReportInput input{run.results, run.failures, o.run.stats, verdict ? &*verdict : nullptr, o.run.measure,
                    ranking ? &*ranking : nullptr, c.compare.alpha};
  RunReport report = run_report(input, o.run.format, breaches);
  fmt::print(stderr, "{}", report.on_stderr);
  if (o.run.output.empty() || run.interrupted) {
    std::fwrite(report.text.data(), 1, report.text.size(), stdout);
    std::fflush(stdout);
  } else {
    write_file_atomically(o.run.output, report.text, "--output");
  }
  if (!o.save_baseline.empty() && !run.interrupted)
    write_file_atomically(o.save_baseline, results_file_text(merge_baseline(c.saved, run.results)), "--save-baseline");

  if (run.interrupted) {
    fmt::print(stderr, "allocbench: interrupted after {} of {} repetitions: the report shows what finished; no file "
                       "was written\n",
               run.jobs_run, c.plan.jobs.size());
    return static_cast<int>(ExitCode::run_failed);
  }
  for (const auto& f : run.failures)
    fmt::print(stderr, "allocbench: error: backend '{}', workload '{}': {}\n", f.backend, f.workload, f.reason);
  ExitCode judged = verdict ? verdict_exit(*verdict, o.inconclusive == "fail") : ExitCode::ok;
  for (const auto& b : breaches) fmt::print(stderr, "allocbench: over budget: {}\n", describe(b));
  // A failed run outranks work that is not comparable, which outranks a regression.
  if (!run.failures.empty()) return static_cast<int>(ExitCode::run_failed);
  if (judged == ExitCode::ok && !breaches.empty()) judged = ExitCode::regression;
  return static_cast<int>(judged);
}

}  // namespace

void warn(std::string_view message) {
  const char* off = std::getenv("ALLOCBENCH_NO_WARNINGS");
  if (off && *off && std::string_view(off) != "0") return;
  fmt::print(stderr, "allocbench: warning: {}\n", message);
}

void setup_run(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("run", "Run workloads on allocators, a fresh process per repetition, and report.");
  auto opt = std::make_shared<RunCommand>();
  add_run_options(*cmd, opt->run);
  add_report_options(*cmd, opt->run);
  cmd->add_option("--save-baseline", opt->save_baseline,
                  "Save the results into this baseline file: entries that ran replace theirs, others are kept.");
  auto* baseline = cmd->add_option("--baseline", opt->baseline,
                                   "Judge the results against this baseline file; exit 1 on a regression.");
  cmd->add_option("--reference", opt->reference,
                  "Judge every other backend against this one, measured in the same run; exit 1 on a regression.")
      ->excludes(baseline);
  add_gate_options(*cmd, opt->gate);
  add_repetition_bounds(*cmd, opt->run);
  add_idle_options(*cmd, opt->run);
  opt->inconclusive_flag =
      cmd->add_option("--inconclusive", opt->inconclusive,
                      "With --reps auto and --baseline or --reference: whether a verdict still open at --max-reps or "
                      "--max-time fails the check (exit 1) or passes it, with a warning (default: fail).")
          ->check(CLI::IsMember({"fail", "pass"}));
  cmd->callback([cmd, opt, &exit_code] {
    // Flags whose effect would be lost are refused rather than ignored.
    const RunOptions& r = opt->run;
    bool budgets = !r.max_rss.empty() || !r.max_live.empty();
    if (r.timeline && r.format != "json" && r.format != "html" && opt->save_baseline.empty())
      throw usage_error("--timeline: the timeline is kept in the JSON and drawn in the HTML report only: add "
                        "--format json (and --output FILE for 'allocbench plot'), --format html, or --save-baseline FILE");
    if (cmd->count("--timeline-interval") && !r.timeline && !budgets)
      throw usage_error("--timeline-interval: sets the interval of --timeline (or of --max-rss/--max-live): give one of them");
    exit_code = run_run(*opt);
  });
}

}  // namespace allocbench
