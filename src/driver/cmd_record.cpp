// allocbench record: runs a program with the recorder preloaded and leaves the trace of
// its allocations, for trace-info and for `run --workload trace:FILE`.
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "driver/commands.hpp"
#include "driver/recording.hpp"
#include "report/format_units.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <memory>

namespace allocbench {
namespace {

struct RecordOptions {
  std::string output;
  std::vector<std::string> command;
};

int record(const RecordOptions& opt) {
  check_writable(opt.output, "--output");
  Recording r = record_program(opt.command, opt.output, true);
  auto bytes = std::filesystem::file_size(opt.output);
  const trace::TraceShape& s = r.shape;
  fmt::print(stderr, "allocbench: recorded {} operations on {} thread{} in {} ({}, {:.1f} bytes per operation) to {}\n",
             format_count(s.operations), s.threads, s.threads == 1 ? "" : "s", format_duration_ns(r.run.seconds * 1e9),
             format_bytes(static_cast<double>(bytes)), s.operations ? static_cast<double>(bytes) / static_cast<double>(s.operations) : 0.0,
             opt.output);
  if (r.child_traces)
    fmt::print(stderr, "allocbench: {} child process{} recorded to {}.<pid>\n", r.child_traces,
               r.child_traces == 1 ? " was" : "es were", opt.output);
  if (s.operations == 0)
    fmt::print(stderr, "allocbench: warning: no allocation was recorded: the program allocates nothing, or its "
                       "allocator is linked statically into it\n");
  if (!r.run.ok()) {
    fmt::print(stderr, "allocbench: error: '{}' {}; its trace is kept\n", opt.command[0], r.run.describe_failure());
    return static_cast<int>(ExitCode::run_failed);
  }
  return 0;
}

}  // namespace

void setup_record(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("record", "Run a program and record its allocations to a trace file, for "
                                           "trace-info and run --workload trace:FILE.");
  auto opt = std::make_shared<RecordOptions>();
  cmd->add_option("-o,--output", opt->output, "The trace file to write.")->required();
  cmd->add_option("command", opt->command, "The program and its arguments, after --.")->required();
  cmd->footer("Example: allocbench record -o app.trace -- ./app --flag\n"
              "Child processes are recorded to TRACE.<pid>.");
  cmd->callback([opt, &exit_code] { exit_code = record(*opt); });
}

}  // namespace allocbench
