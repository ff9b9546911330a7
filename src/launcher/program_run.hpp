// One run of a program, as the kernel accounts for it: started with posix_spawn, its
// standard input /dev/null and its output in files, waited for with wait4.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace allocbench {

struct ProgramRun {
  int pid = 0;
  int exit_code = -1;  // when it exited
  int signal = 0;      // when a signal ended it
  int64_t wall_ns = 0; // from spawn to exit
  std::string final_image = "another program";  // the kernel's name of the image that exited, quoted
  int64_t cpu_user_ns = 0, cpu_sys_ns = 0;
  int64_t peak_rss_bytes = 0;  // the largest of the process and its waited-for children
  int64_t minor_faults = 0, major_faults = 0, ctx_switches_vol = 0, ctx_switches_invol = 0;
  // RSS read from /proc/PID/statm every `sample_ns` (when asked): offsets and bytes.
  std::vector<double> t_ms, rss_bytes;
};

// Runs argv[0] (looked up in PATH) with `environment`, its stdout and stderr going to
// the files given. sample_ns > 0 samples its RSS from outside while it runs.
ProgramRun run_program(const std::vector<std::string>& argv, const std::vector<std::string>& environment,
                       const std::string& stdout_file, const std::string& stderr_file, int64_t sample_ns);

// The last `lines` lines of a text file, for a failure report.
std::string tail_of_file(const std::string& path, size_t lines);

}  // namespace allocbench
