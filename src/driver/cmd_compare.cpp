// allocbench compare RESULTS BASELINE: the verdict of a saved run against a baseline.
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "driver/commands.hpp"
#include "driver/gate_options.hpp"
#include "report/verdict_report.hpp"
#include "results/results_file.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>

namespace allocbench {
namespace {

struct CompareCommand {
  std::string results;
  std::string baseline;
  GateOptions gate;
  std::string format = "table";
  std::string output;
};

int run_compare(const CompareCommand& o) {
  CompareOptions options = o.gate.parse();
  if (!o.output.empty()) check_writable(o.output, "--output");
  Results current = read_results_file(o.results, "results");
  Results baseline = read_results_file(o.baseline, "baseline");
  require_counterparts(keys_of(current), fmt::format("results '{}'", o.results), keys_of(baseline),
                       fmt::format("baseline '{}'", o.baseline));
  CompareReport report = compare_results(current, baseline, options, o.baseline);
  std::string text = render_verdict(report, o.format);
  if (o.output.empty()) fmt::print("{}", text);
  else write_file_atomically(o.output, text, "--output");
  return static_cast<int>(verdict_exit(report, true));
}

}  // namespace

void setup_compare(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("compare", "Judge a results file against a baseline; exit 1 on a regression.");
  auto opt = std::make_shared<CompareCommand>();
  cmd->add_option("RESULTS", opt->results, "Results file (from run --format json --output, or --save-baseline).")
      ->required();
  cmd->add_option("BASELINE", opt->baseline, "Baseline file to judge against.")->required();
  add_gate_options(*cmd, opt->gate);
  cmd->add_option("--format", opt->format, "Report format: table, markdown or json (default: table).")
      ->check(CLI::IsMember({"table", "markdown", "json"}));
  cmd->add_option("--output", opt->output, "Write the report to FILE (atomically) instead of stdout.");
  cmd->callback([opt, &exit_code] { exit_code = run_compare(*opt); });
}

}  // namespace allocbench
