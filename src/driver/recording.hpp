// Recording a program's allocations to a trace file, with the recorder preloaded: for
// `allocbench record` and `allocbench suite --replay`.
#pragma once

#include "driver/spawn.hpp"
#include "trace/stream.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace allocbench {

struct Recording {
  ProcessOutcome run;            // how the program ended
  trace::TraceShape shape;       // what the trace holds, checked
  size_t child_traces = 0;       // child processes recorded to "<output>.<pid>"
};

// Runs `command` with the recorder preloaded and leaves its trace at `output`, written
// under a temporary name and renamed when complete (its children's traces beside it).
// Attached, the program keeps the terminal; otherwise its output is captured and it is
// killed after `timeout`. Throws a run error when the recorder did not start in it.
Recording record_program(const std::vector<std::string>& command, const std::string& output, bool attached,
                         std::chrono::milliseconds timeout = std::chrono::hours(24));

}  // namespace allocbench
