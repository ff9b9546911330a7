// allocbench report RESULTS [--baseline FILE] -o report.html: a results file as the HTML
// report (what `run --format html` writes), with the verdicts against a baseline.
#include "common/atomic_file.hpp"
#include "driver/commands.hpp"
#include "driver/gate_options.hpp"
#include "report/report.hpp"
#include "results/results_file.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>
#include <optional>

namespace allocbench {
namespace {

struct ReportCommand {
  std::string results;
  std::string baseline;
  GateOptions gate;
  std::string output;
};

int run_report(const ReportCommand& o) {
  CompareOptions options = o.gate.parse();
  if (o.gate.given() && o.baseline.empty())
    throw usage_error("--threshold, --metric and --ignore-env judge results: give --baseline FILE");
  check_writable(o.output, "--output");
  Results results = read_results_file(o.results, "results");
  std::optional<CompareReport> verdict;
  if (!o.baseline.empty()) {
    Results baseline = read_results_file(o.baseline, "baseline");
    require_counterparts(keys_of(results), fmt::format("results '{}'", o.results), keys_of(baseline),
                         fmt::format("baseline '{}'", o.baseline));
    verdict = compare_results(results, baseline, options, o.baseline);
  }
  std::vector<FailedCell> none;
  write_file_atomically(o.output, html_report({results, none, false, verdict ? &*verdict : nullptr}), "--output");
  return 0;  // a report, not a gate: `compare` gives the verdict's exit code
}

}  // namespace

void setup_report(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("report", "Write a results file as a self-contained HTML report, with the verdicts "
                                           "against a baseline.");
  auto opt = std::make_shared<ReportCommand>();
  cmd->add_option("RESULTS", opt->results, "Results file (run --format json --output, or --save-baseline).")
      ->required();
  cmd->add_option("--baseline", opt->baseline, "Judge the results against this baseline file in the report.");
  add_gate_options(*cmd, opt->gate);
  cmd->add_option("-o,--output", opt->output, "The HTML file to write (atomically).")->required();
  cmd->callback([opt, &exit_code] { exit_code = run_report(*opt); });
}

}  // namespace allocbench
