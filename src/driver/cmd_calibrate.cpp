// allocbench calibrate [run flags]: runs one configuration several times and judges
// every run against every other, as if each were a baseline. What it prints is the
// noise of this machine and the smallest threshold that raised no false alarm: a
// threshold chosen from evidence rather than hope.
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "driver/commands.hpp"
#include "driver/gate_options.hpp"
#include "driver/preparation.hpp"
#include "driver/runner.hpp"
#include "report/format_units.hpp"
#include "results/baseline.hpp"
#include "results/metrics.hpp"
#include "results/statistics.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>

namespace allocbench {
namespace {

struct CalibrateCommand {
  RunOptions run;
  GateOptions gate;
  int runs = 5;
};

struct Calibration {
  std::string backend, workload, metric, estimator;
  std::vector<double> values;     // the estimator of each run
  double noise = 0;               // their standard deviation over their mean
  double clean_threshold = 0;     // the largest change that a gate would have acted on
  bool testable = true;           // false: too few samples for the U test
};

std::vector<Calibration> calibrate(const std::vector<Results>& runs, const CompareOptions& options) {
  CompareOptions zero = options;
  zero.thresholds = Thresholds{0, {}};
  std::map<std::tuple<ResultKey, std::string>, Calibration> cells;
  for (const auto& first : runs.front().results)
    for (const auto& metric : options.metrics)
      if (first.metrics.count(metric))
        cells[{key_of(first), metric}] = {first.backend, first.workload, metric, "", {}, 0, 0, true};

  for (auto& [key, cal] : cells) {
    std::vector<const Result*> per_run;
    for (const auto& run : runs)
      for (const auto& r : run.results)
        if (key_of(r) == std::get<0>(key)) per_run.push_back(&r);
    if (per_run.size() < 2) continue;
    for (const Result* r : per_run) {
      Estimate e = estimate(*r, cal.metric);
      cal.values.push_back(e.value);
      cal.estimator = e.kind == Estimator::median ? "median"
                                                  : fmt::format("{} of {}", to_string(e.kind), r->metrics.at(cal.metric).samples.size());
    }
    for (size_t i = 0; i < per_run.size(); ++i)
      for (size_t j = 0; j < per_run.size(); ++j) {
        if (i == j) continue;
        Comparison c = judge(*per_run[i], *per_run[j], cal.metric, zero);
        cal.testable = cal.testable && c.evidence != Evidence::too_few_samples;
        bool would_act = c.evidence == Evidence::deterministic || (c.evidence == Evidence::tested && c.significant);
        if (would_act && !std::isinf(c.change)) cal.clean_threshold = std::max(cal.clean_threshold, c.change);
      }
    double mean = 0, var = 0;
    for (double v : cal.values) mean += v / static_cast<double>(cal.values.size());
    for (double v : cal.values) var += (v - mean) * (v - mean) / static_cast<double>(cal.values.size() - 1);
    cal.noise = mean > 0 ? std::sqrt(var) / mean : 0;
  }
  std::vector<Calibration> out;
  for (auto& [key, cal] : cells)
    if (!cal.values.empty()) out.push_back(std::move(cal));
  return out;
}

std::string as_table(const std::vector<Calibration>& cals, int runs, int reps, double alpha) {
  std::string out = fmt::format(
      "calibration: {} identical runs of {} reps, each judged against every other as its baseline\n"
      "  {:<10} {:<20} {:<18} {:<10} {:>8}  {:>17}\n",
      runs, reps, "backend", "workload", "metric", "estimator", "noise", "no false alarm at");
  std::map<std::string, double> per_metric;
  bool untestable = false;
  for (const auto& c : cals) {
    out += fmt::format("  {:<10} {:<20} {:<18} {:<10} {:>7.1f}%  {:>16.1f}%{}\n", c.backend, c.workload, c.metric,
                       c.estimator, c.noise * 100, c.clean_threshold * 100, c.testable ? "" : " *");
    per_metric[c.metric] = std::max(per_metric[c.metric], c.clean_threshold);
    untestable = untestable || !c.testable;
  }
  if (untestable) {
    auto enough = static_cast<size_t>(reps);  // the fewest repetitions a side that can reach p < alpha
    while (samples_needed(enough, alpha) > enough) ++enough;
    out += fmt::format("  * too few repetitions for the U test: such a gate never acts on this metric; use --reps {} or "
                       "more\n",
                       enough);
  }
  std::vector<std::string> flags;
  for (const auto& [metric, t] : per_metric) flags.push_back(fmt::format("{}={:g}", metric, std::ceil(t * 1000) / 10));
  return out + fmt::format("smallest thresholds with no false alarm here: --threshold {}\n", fmt::join(flags, ","));
}

int run_calibrate(const CalibrateCommand& o) {
  CompareOptions options = o.gate.parse();
  Plan plan = make_plan(o.run);
  if (plan.auto_reps)
    throw usage_error("--reps auto: calibrate measures the noise of a fixed number of repetitions: give --reps N");
  if (!o.run.output.empty()) check_writable(o.run.output, "--output");
  Preparation prepared(plan, o.run.no_cache);
  Progress progress(plan.jobs.size() * static_cast<size_t>(o.runs), Progress::choose(o.run.verbose));
  std::vector<Results> runs;
  for (int i = 0; i < o.runs; ++i) {
    RunOutcome run = execute(plan, progress);
    if (run.interrupted) throw run_error("calibration interrupted after {} of {} runs", i, o.runs);
    if (!run.failures.empty())
      throw run_error("run {} of {}: backend '{}', workload '{}': {}", i + 1, o.runs, run.failures[0].backend,
                      run.failures[0].workload, run.failures[0].reason);
    runs.push_back(std::move(run.results));
  }
  progress.clear();
  std::vector<Calibration> cals = calibrate(runs, options);
  std::string text;
  if (o.run.format == "json") {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& c : cals)
      list.push_back({{"backend", c.backend}, {"workload", c.workload}, {"metric", c.metric},
                      {"estimator", c.estimator}, {"values", c.values}, {"noise", c.noise},
                      {"clean_threshold", c.clean_threshold}, {"testable", c.testable}});
    text = nlohmann::json{{"runs", o.runs}, {"reps", plan.reps}, {"calibration", list}}.dump(2) + "\n";
  } else {
    text = as_table(cals, o.runs, plan.reps, options.alpha);
  }
  if (o.run.output.empty()) fmt::print("{}", text);
  else write_file_atomically(o.run.output, text, "--output");
  return 0;
}

}  // namespace

void setup_calibrate(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "calibrate", "Run one configuration several times and print the noise and the smallest safe threshold.");
  auto opt = std::make_shared<CalibrateCommand>();
  add_run_options(*cmd, opt->run);
  cmd->add_option("--format", opt->run.format, "Output format: table or json (default: table).")
      ->check(CLI::IsMember({"table", "json"}));
  cmd->add_option("--runs", opt->runs, "Identical runs to make (default: 5).")->check(CLI::Range(2, 100));
  add_metric_option(*cmd, opt->gate);
  cmd->callback([opt, &exit_code] { exit_code = run_calibrate(*opt); });
}

}  // namespace allocbench
