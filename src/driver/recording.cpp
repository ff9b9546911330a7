#include "driver/recording.hpp"

#include "common/error.hpp"
#include "common/program_file.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

namespace allocbench {
namespace {

namespace fs = std::filesystem;

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

}  // namespace

Recording record_program(const std::vector<std::string>& command, const std::string& output, bool attached,
                         std::chrono::milliseconds timeout) {
  fs::path partial = output + ".recording";
  for (const auto& stale : child_traces(partial)) fs::remove(stale);
  std::vector<std::string> environment = recording_environment(partial.string());
  Recording r;
  r.run = attached ? run_attached(command, environment) : run_process(command, timeout, &environment);
  if (!fs::exists(partial)) {
    std::string why = why_preload_is_ignored(find_program(command[0]));
    throw run_error("'{}' was not recorded: the recorder did not start in it ({}){}", command[0],
                    why.empty() ? "a statically linked or set-user-ID program ignores LD_PRELOAD" : why,
                    r.run.ok() ? "" : "; it " + r.run.describe_failure());
  }
  r.shape = trace::check_trace(partial.string());
  fs::rename(partial, output);
  for (const auto& stale : child_traces(output)) fs::remove(stale);  // an earlier recording's, now replaced
  std::vector<fs::path> children = child_traces(partial);
  for (const auto& child : children)  // "<partial>.<pid>" to "<output>.<pid>", in the same directory
    fs::rename(child, output + child.filename().string().substr(partial.filename().string().size()));
  r.child_traces = children.size();
  return r;
}

}  // namespace allocbench
