// allocbench-launcher: one repetition of a `cmd:` workload. Runs the program once with
// the allocator under test in LD_PRELOAD, behind the probe (or, in the counted
// repetition, the counting library) that proves which allocator served it, and prints
// one JSON report on stdout, in the form of a worker's.
//
//   allocbench-launcher --command 'PROGRAM ARGS' --output-dir DIR --expect PROVIDER
//                       [--allocator LIB] [--backend-version V] [--settings K=V,...]
//                       [--counting on|off] [--timeline-ms MS]
#include "common/error.hpp"
#include "common/program_file.hpp"
#include "launcher/probe_report.hpp"
#include "launcher/program_run.hpp"
#include "preload/report_line.hpp"
#include "results/repetition.hpp"
#include "workloads/command.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

extern char** environ;

namespace allocbench {
namespace {

struct LauncherOptions {
  std::string command;         // the text after cmd:
  std::string output_dir;      // the program's stdout, stderr and the probe's report go here
  std::string expect;          // the file name (prefix) of the object that must provide malloc
  std::string allocator;       // the library preloaded behind the probe; none for glibc
  std::string backend_version;
  std::string settings;        // the backend's settings, carried by the environment
  std::string counting = "off";
  double timeline_ms = 0;
};

std::string file_name(const std::string& path) { return std::filesystem::path(path).filename().string(); }

// The launcher's environment (the driver already took out every allocator variable and
// added the settings' own) with the probe, or the counter, ahead of the allocator.
std::vector<std::string> program_environment(const LauncherOptions& o, const std::string& report_file) {
  std::string preload = beside_executable(o.counting == "on" ? "liballocbench-counter.so" : "liballocbench-probe.so");
  if (!o.allocator.empty()) preload += ":" + o.allocator;
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e)
    if (!std::string_view(*e).starts_with("LD_PRELOAD=")) env.emplace_back(*e);
  env.push_back("LD_PRELOAD=" + preload);
  env.push_back(fmt::format("{}={}", preload::report_variable, report_file));
  return env;
}

// The program must have run on the allocator under test, and said so from inside.
void check_identity(const ProbeReport& report, const std::string& program, const std::string& final_image,
                    const std::string& expect) {
  if (!report.provider) {
    std::string why = why_preload_is_ignored(find_program(program));
    throw run_error("'{}' cannot be measured: {}; nothing is reported for it", program,
                    why.empty() ? "the probe library did not load in it (does it clear LD_PRELOAD?)" : why);
  }
  if (report.exec_pending)
    throw run_error("'{}' cannot be measured: it replaced itself (exec) with {}, in which the probe library did not "
                    "load (a statically linked or set-user-ID program, or one run with LD_PRELOAD cleared); nothing "
                    "is reported for it",
                    program, final_image);
  if (report.provider->in_program)
    throw run_error("'{}' cannot be measured: it links its own allocator (malloc is defined in the executable {}), "
                    "so no preloaded allocator serves it; nothing is reported for it",
                    program, report.provider->path);
  if (!file_name(report.provider->path).starts_with(expect))
    throw run_error("'{}' cannot be measured: malloc in it is provided by {}, not by {}*: the program loads an "
                    "allocator of its own; nothing is reported for it",
                    program, report.provider->path, expect);
}

// K=V,...: what the environment asks; the program cannot tell what took effect.
std::map<std::string, SettingValue> requested_settings(const std::string& settings) {
  std::map<std::string, SettingValue> out;
  for (size_t start = 0; start < settings.size();) {
    size_t end = std::min(settings.find(',', start), settings.size());
    std::string setting = settings.substr(start, end - start);
    size_t eq = setting.find('=');
    out[setting.substr(0, eq)] = {eq == std::string::npos ? "" : setting.substr(eq + 1), std::nullopt};
    start = end + 1;
  }
  return out;
}

Repetition launch(const LauncherOptions& o) {
  std::vector<std::string> argv = split_command(o.command);
  if (argv.empty()) throw usage_error("--command: expected PROGRAM ARGS...");
  std::filesystem::path dir(o.output_dir);
  std::string report_file = (dir / "probe.txt").string(), err_file = (dir / "stderr.txt").string();
  std::ofstream(report_file, std::ios::trunc).close();
  if (!std::filesystem::exists(report_file)) throw run_error("cannot write in --output-dir '{}'", o.output_dir);

  ProgramRun run = run_program(argv, program_environment(o, report_file), (dir / "stdout.txt").string(), err_file,
                               static_cast<int64_t>(o.timeline_ms * 1e6));
  if (run.exit_code != 0) {
    std::string tail = tail_of_file(err_file, 8);
    std::string how = run.signal ? fmt::format("was killed by signal {} ({})", run.signal, strsignal(run.signal))
                                 : fmt::format("exited with code {}", run.exit_code);
    throw run_error("'{}' {}{}", argv[0], how, tail.empty() ? "" : "; its stderr ends with:\n" + tail);
  }
  ProbeReport report = read_probe_report(report_file, run.pid);
  check_identity(report, argv[0], run.final_image, o.expect);
  bool counting = o.counting == "on";
  if (counting && !report.counts)
    throw run_error("'{}' ended without running its exit handlers (_exit, or exec of a program without the counting "
                    "library): nothing was counted",
                    argv[0]);

  Repetition rep;
  rep.metrics = {
      {"wall_ns", run.wall_ns},
      {"cpu_user_ns", run.cpu_user_ns},
      {"cpu_sys_ns", run.cpu_sys_ns},
      {"peak_rss_bytes", run.peak_rss_bytes},
      {"minor_faults", run.minor_faults},
      {"major_faults", run.major_faults},
      {"ctx_switches_vol", run.ctx_switches_vol},
      {"ctx_switches_invol", run.ctx_switches_invol},
  };
  if (counting) {
    const ProgramCounts& c = *report.counts;
    rep.metrics.insert({{"allocs", c.allocs},
                        {"frees", c.frees},
                        {"bytes_allocated", c.bytes_allocated},
                        {"peak_live_bytes", c.peak_live_bytes},
                        {"live_bytes_at_end", c.live_bytes_at_end}});
  }
  rep.backend = file_name(o.allocator.empty() ? "system" : o.allocator);
  rep.backend_version = o.backend_version;
  rep.malloc_provider = file_name(report.provider->path);
  rep.workload = std::string(command_prefix) + o.command;
  rep.directory = std::filesystem::current_path().string();
  rep.counting = counting;
  rep.checksum = "-";  // a program's work is its own: nothing to digest
  rep.settings = requested_settings(o.settings);
  if (o.timeline_ms > 0) rep.timeline = {o.timeline_ms, run.t_ms, run.rss_bytes, {}, {}, {}, {}};
  return rep;
}

int launcher_main(int argc, char** argv) {
  CLI::App app{"allocbench launcher: runs one repetition of a cmd: workload"};
  LauncherOptions o;
  app.add_option("--command", o.command, "The program and its arguments, as after cmd:.")->required();
  app.add_option("--output-dir", o.output_dir, "Where the program's output and the probe's report go.")->required();
  app.add_option("--expect", o.expect, "The file name of the object that must provide malloc.")->required();
  app.add_option("--allocator", o.allocator, "The allocator library to preload (none: glibc).");
  app.add_option("--backend-version", o.backend_version, "The allocator's version, for the report.");
  app.add_option("--settings", o.settings, "The backend's settings, K=V,..., for the report.");
  app.add_option("--counting", o.counting, "Run with the counting library (on) or the probe (off).")
      ->check(CLI::IsMember({"on", "off"}));
  app.add_option("--timeline-ms", o.timeline_ms, "Sample the program's RSS this often, in ms.")
      ->check(CLI::Range(0.1, 60000.0));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : static_cast<int>(ExitCode::bad_input);
  }
  try {
    std::cout << repetition_text(launch(o)) << '\n' << std::flush;
    return 0;
  } catch (const Error& e) {
    std::fprintf(stderr, "allocbench-launcher: error: %s\n", e.what());
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {  // a filesystem error
    std::fprintf(stderr, "allocbench-launcher: error: %s\n", e.what());
    return static_cast<int>(ExitCode::run_failed);
  }
}

}  // namespace
}  // namespace allocbench

int main(int argc, char** argv) { return allocbench::launcher_main(argc, argv); }
