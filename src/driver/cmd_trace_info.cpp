// allocbench trace-info: what a recorded trace holds.
#include "driver/commands.hpp"
#include "common/atomic_file.hpp"
#include "report/trace_report.hpp"
#include "trace/profile.hpp"
#include "trace/summary.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>

namespace allocbench {
namespace {

struct TraceInfoOptions {
  std::string file;
  std::string format = "table";
  std::string profile;
  unsigned parts = trace::profile_default_parts;
};

}  // namespace

void setup_trace_info(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("trace-info", "Summarise a recorded trace: operations, threads, sizes, peak live "
                                               "bytes, lifetimes.");
  auto opt = std::make_shared<TraceInfoOptions>();
  cmd->add_option("TRACE", opt->file, "Trace file (allocbench record -o TRACE -- PROGRAM).")->required();
  cmd->add_option("--format", opt->format, "table or json.")->check(CLI::IsMember({"table", "json"}));
  auto* profile = cmd->add_option("--profile", opt->profile,
                  "Also write the trace's allocation profile to this CSV file, for --workload profile:FILE: per size "
                  "class its rate, lifetimes and threads, no addresses and no order.");
  cmd->add_option("--parts", opt->parts,
                  fmt::format("With --profile: cut the run into this many parts, each with its own rates and "
                              "lifetimes (1-{}; more follow the program more closely, in a larger file).",
                              trace::profile_max_parts))
      ->check(CLI::Range(1u, trace::profile_max_parts))
      ->needs(profile);
  cmd->callback([opt, &exit_code] {
    if (!opt->profile.empty()) check_writable(opt->profile, "--profile");
    trace::TraceSummary s = trace::summarise_trace(opt->file);
    if (!opt->profile.empty())
      write_file_atomically(opt->profile,
                            trace::profile_csv(trace::profile_of_trace(opt->file, opt->parts),
                                               fmt::format("allocbench profile of {}: {} operations on {} thread{}",
                                                           opt->file, s.operations, s.threads, s.threads == 1 ? "" : "s")),
                            "--profile");
    if (opt->format == "json") fmt::print("{}\n", trace_json(opt->file, s).dump(2));
    else fmt::print("{}", trace_text(opt->file, s));
    exit_code = 0;
  });
}

}  // namespace allocbench
