#include "driver/command_jobs.hpp"

#include "common/error.hpp"
#include "common/program_file.hpp"
#include "workloads/command.hpp"

#include <fmt/format.h>

#include <filesystem>

namespace allocbench {

namespace {

Launch cannot_launch(std::string why) {
  Launch launch;
  launch.error = std::move(why);
  return launch;
}

}  // namespace

Launch launch_of(const BackendSpec& spec) {
  for (const char* own : {"liballocbench-probe.so", "liballocbench-counter.so"})
    if (std::string path = beside_executable(own); path.find_first_of(preload_separators) != std::string::npos)
      return cannot_launch(fmt::format("LD_PRELOAD cannot load '{}': its path holds a blank or a colon (install "
                                       "allocbench where it does not)",
                                       path));
  BackendIdentity id = identify_backend(spec);
  if (!id.error.empty())
    return cannot_launch(fmt::format("its worker could not tell which allocator library it runs: {}", id.error));
  // glibc's malloc serves a program that preloads nothing, whatever serves the worker
  // (a sanitizer runtime, in the sanitizer builds).
  if (spec.worker == "system" && spec.preload.empty()) return {"", "libc.so", id.version, ""};
  std::string library = spec.preload.empty() ? id.malloc_provider_path : spec.preload;
  if (library.find_first_of(preload_separators) != std::string::npos)
    return cannot_launch(fmt::format("LD_PRELOAD cannot load its library '{}': the path holds a blank or a colon",
                                     library));
  return {library, std::filesystem::path(library).filename().string(), id.version, ""};
}

std::vector<std::string> launcher_argv(std::string_view workload, const BackendSpec& spec, const Launch& launch,
                                       bool counted, double timeline_ms) {
  std::vector<std::string> argv{beside_executable("allocbench-launcher"),
                                "--command",
                                std::string(workload.substr(command_prefix.size())),
                                "--expect",
                                launch.expect,
                                "--backend-version",
                                launch.version,
                                "--counting",
                                counted ? "on" : "off"};
  if (!launch.allocator.empty()) argv.insert(argv.end(), {"--allocator", launch.allocator});
  if (!spec.settings.empty()) argv.insert(argv.end(), {"--settings", spec.settings});
  if (timeline_ms > 0) argv.insert(argv.end(), {"--timeline-ms", fmt::format("{}", timeline_ms)});
  return argv;
}

std::vector<std::string> launcher_environment(const BackendSpec& spec) {
  std::vector<std::string> env = worker_environment(spec);
  std::erase_if(env, [](const std::string& e) { return e.starts_with("LD_PRELOAD="); });
  return env;
}

}  // namespace allocbench
