// allocbench plot: a results file drawn as one SVG chart.
#include "common/atomic_file.hpp"
#include "driver/commands.hpp"
#include "report/svg_chart.hpp"
#include "results/results_file.hpp"

#include <CLI/CLI.hpp>

#include <memory>

namespace allocbench {
namespace {

struct PlotOptions {
  std::string results;
  std::string output;
};

}  // namespace

void setup_plot(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("plot", "Draw a results file as an SVG chart: time and peak bytes per backend, "
                                         "and the timelines of run --timeline.");
  auto opt = std::make_shared<PlotOptions>();
  cmd->add_option("RESULTS", opt->results, "Results file (run --format json --output FILE).")->required();
  cmd->add_option("-o,--output", opt->output, "The SVG file to write (atomically).")->required();
  cmd->callback([opt, &exit_code] {
    check_writable(opt->output, "--output");
    write_file_atomically(opt->output, svg_chart(read_results_file(opt->results, "results")), "--output");
    exit_code = 0;
  });
}

}  // namespace allocbench
