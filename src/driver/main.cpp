// allocbench: wires the subcommands and maps errors to the exit codes of DESIGN.md.
#include "build_info.hpp"
#include "common/error.hpp"
#include "driver/commands.hpp"
#include "driver/interrupt.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

int main(int argc, char** argv) {
  using allocbench::ExitCode;
  allocbench::install_interrupt_handlers();

  CLI::App app{"allocbench: benchmark memory allocators and gate allocation regressions"};
  app.set_version_flag("--version", fmt::format("allocbench {} ({})", allocbench::build_info::version,
                                                allocbench::build_info::git_commit));
  app.require_subcommand(1);
  int exit_code = 0;
  allocbench::setup_list(app, exit_code);
  allocbench::setup_run(app, exit_code);
  allocbench::setup_compare(app, exit_code);
  allocbench::setup_merge(app, exit_code);
  allocbench::setup_report(app, exit_code);
  allocbench::setup_calibrate(app, exit_code);
  allocbench::setup_plot(app, exit_code);
  allocbench::setup_record(app, exit_code);
  allocbench::setup_trace_info(app, exit_code);
  allocbench::setup_clear_cache(app, exit_code);
  allocbench::setup_history(app, exit_code);
  allocbench::setup_bisect(app, exit_code);
  allocbench::setup_suite(app, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    // One line, in the same form as allocbench's own errors.
    auto parsed = app.get_subcommands();
    fmt::print(stderr, "allocbench: error: {} (see 'allocbench{} --help')\n", e.what(),
               parsed.empty() ? "" : " " + parsed.front()->get_name());
    return static_cast<int>(ExitCode::bad_input);
  } catch (const allocbench::Error& e) {
    fmt::print(stderr, "allocbench: error: {}\n", e.what());
    return static_cast<int>(e.code());
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "allocbench: error: out of memory (see ulimit -v and the memory free)\n");
    return static_cast<int>(ExitCode::run_failed);
  }
  return exit_code;
}
