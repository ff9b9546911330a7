// Starting child processes: workers, with their output captured and a time limit,
// and the user's program that `record` runs.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace allocbench {

struct ProcessOutcome {
  int exit_code = -1;     // when it exited
  int signal = 0;         // when a signal ended it
  bool timed_out = false;
  std::string out;        // all of stdout
  std::string err_tail;   // the last lines of stderr
  double seconds = 0;

  bool ok() const { return !timed_out && signal == 0 && exit_code == 0; }
  // "was killed by signal 11 (Segmentation fault)", "timed out after 5 s", "exited with code 3";
  // followed by the stderr tail when there is one.
  std::string describe_failure() const;
};

// Runs a child process to completion with its stdout and stderr captured, killing it
// (and its process group) when it outlives its time.
// argv[0] without a slash is looked up in PATH. `environment` (KEY=VALUE entries)
// replaces the driver's environment when given.
ProcessOutcome run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                           const std::vector<std::string>* environment = nullptr);

// Runs a user's program in the foreground: it keeps the driver's terminal (stdin,
// stdout, stderr, process group, so that Ctrl-C reaches it) and runs to its end.
// `environment` replaces the driver's environment.
ProcessOutcome run_attached(const std::vector<std::string>& argv, const std::vector<std::string>& environment);

// Kills the running child's process group, for a signal handler of the driver.
void kill_running_child() noexcept;

}  // namespace allocbench
