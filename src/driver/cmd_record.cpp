// allocbench record: runs a program with the recorder preloaded and leaves the trace of
// its allocations, for trace-info and for `run --workload trace:FILE`.
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/program_file.hpp"
#include "driver/commands.hpp"
#include "driver/spawn.hpp"
#include "report/format_units.hpp"
#include "trace/stream.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

namespace allocbench {
namespace {

namespace fs = std::filesystem;

struct RecordOptions {
  std::string output;
  std::vector<std::string> command;
};

// The recorder goes first in LD_PRELOAD: it must see the calls before any allocator
// the user preloads, which then serves them.
std::vector<std::string> recording_environment(const std::string& trace_file) {
  std::string preload = beside_executable("liballocbench-recorder.so");
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string_view entry(*e);
    if (entry.starts_with("LD_PRELOAD=")) preload += " " + std::string(entry.substr(11));
    else if (!entry.starts_with("ALLOCBENCH_TRACE_")) env.emplace_back(entry);
  }
  env.push_back("LD_PRELOAD=" + preload);
  env.push_back("ALLOCBENCH_TRACE_FILE=" + trace_file);
  env.push_back(fmt::format("ALLOCBENCH_TRACE_PARENT={}", ::getpid()));
  return env;
}

// Traces of child processes: "<trace>.<pid>".
std::vector<fs::path> child_traces(const fs::path& trace_file) {
  std::vector<fs::path> found;
  std::string prefix = trace_file.filename().string() + ".";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(trace_file.parent_path().empty() ? "." : trace_file.parent_path(), ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() > prefix.size() && name.starts_with(prefix) &&
        name.find_first_not_of("0123456789", prefix.size()) == std::string::npos)
      found.push_back(entry.path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

// Recorded under a temporary name and renamed when complete, so that the trace file
// is never seen half-written; so are the children's.
int record(const RecordOptions& opt) {
  check_writable(opt.output, "--output");
  fs::path output(opt.output);
  fs::path partial = output.string() + ".recording";
  for (const auto& stale : child_traces(partial)) fs::remove(stale);

  ProcessOutcome run = run_attached(opt.command, recording_environment(partial.string()));
  if (!fs::exists(partial)) {
    std::string why = why_preload_is_ignored(find_program(opt.command[0]));
    throw run_error("'{}' was not recorded: the recorder did not start in it ({}){}", opt.command[0],
                    why.empty() ? "a statically linked or set-user-ID program ignores LD_PRELOAD" : why,
                    run.ok() ? "" : "; it " + run.describe_failure());
  }
  trace::TraceShape s = trace::check_trace(partial.string());
  fs::rename(partial, output);
  std::vector<fs::path> children = child_traces(partial);
  for (const auto& child : children)  // "<partial>.<pid>" to "<output>.<pid>", in the same directory
    fs::rename(child, output.string() + child.filename().string().substr(partial.filename().string().size()));

  auto bytes = fs::file_size(output);
  fmt::print(stderr, "allocbench: recorded {} operations on {} thread{} in {} ({}, {:.1f} bytes per operation) to {}\n",
             format_count(s.operations), s.threads, s.threads == 1 ? "" : "s", format_duration_ns(run.seconds * 1e9),
             format_bytes(static_cast<double>(bytes)), s.operations ? static_cast<double>(bytes) / static_cast<double>(s.operations) : 0.0,
             opt.output);
  if (!children.empty())
    fmt::print(stderr, "allocbench: {} child process{} recorded to {}.<pid>\n", children.size(),
               children.size() == 1 ? " was" : "es were", opt.output);
  if (s.operations == 0)
    fmt::print(stderr, "allocbench: warning: no allocation was recorded: the program allocates nothing, or its "
                       "allocator is linked statically into it\n");
  if (!run.ok()) {
    fmt::print(stderr, "allocbench: error: '{}' {}; its trace is kept\n", opt.command[0], run.describe_failure());
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
