// allocbench merge FILES... --output OUT: the results of a run split with --shard (or of
// any runs of other cells) put back into one file, which compare, --baseline and every
// report take like a run's own. Each entry keeps its own environment; the file's is the
// last part's.
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "driver/commands.hpp"
#include "report/verdict_report.hpp"
#include "results/baseline.hpp"
#include "results/results_file.hpp"

#include <CLI/CLI.hpp>

#include <map>
#include <memory>

namespace allocbench {
namespace {

struct MergeCommand {
  std::vector<std::string> parts;
  std::string output;
};

int run_merge(const MergeCommand& o) {
  check_writable(o.output, "--output");
  std::map<ResultKey, std::string> holder;  // each entry's file
  Results merged;
  for (const std::string& part : o.parts) {
    Results results = read_results_file(part, "results");
    for (const Result& r : results.results)
      if (auto [at, fresh] = holder.emplace(key_of(r), part); !fresh)
        throw usage_error("merge: '{}' and '{}' both hold {}: each entry must come from one part", at->second, part,
                          describe(at->first));
    merged = merge_baseline(merged, results);
  }
  write_file_atomically(o.output, results_file_text(merged), "--output");
  return 0;
}

}  // namespace

void setup_merge(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("merge", "Put the results of runs of other cells (--shard parts) into one file.");
  auto opt = std::make_shared<MergeCommand>();
  cmd->add_option("FILES", opt->parts, "Results files (run --format json --output, or --save-baseline).")
      ->required();
  cmd->add_option("-o,--output", opt->output, "The merged results file, written atomically.")->required();
  cmd->callback([opt, &exit_code] { exit_code = run_merge(*opt); });
}

}  // namespace allocbench
