// The subcommands, one file each: setup_<cmd> declares its flags on the app and
// stores the command's exit code in `exit_code` when it runs.
#pragma once

#include <string_view>

namespace CLI {
class App;
}

namespace allocbench {

void setup_list(CLI::App& app, int& exit_code);
void setup_run(CLI::App& app, int& exit_code);
void setup_compare(CLI::App& app, int& exit_code);
void setup_merge(CLI::App& app, int& exit_code);
void setup_report(CLI::App& app, int& exit_code);
void setup_calibrate(CLI::App& app, int& exit_code);
void setup_plot(CLI::App& app, int& exit_code);
void setup_record(CLI::App& app, int& exit_code);
void setup_trace_info(CLI::App& app, int& exit_code);
void setup_clear_cache(CLI::App& app, int& exit_code);
void setup_history(CLI::App& app, int& exit_code);
void setup_bisect(CLI::App& app, int& exit_code);
void setup_suite(CLI::App& app, int& exit_code);

// Warnings name their remedy and go to stderr once; ALLOCBENCH_NO_WARNINGS=1 silences them.
void warn(std::string_view message);

}  // namespace allocbench
