// libFuzzer target: the trace reader must turn any bytes into either a summary and a
// prepared replay, or a usage error; a crash, a hang, another exception or a sanitizer
// report is a bug. A prepared replay that is written must read back whole and sound.
#include "common/error.hpp"
#include "trace/prepared.hpp"
#include "trace/summary.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The reader reads a file: the input is written to a memory file it opens by name.
  static const int fd = memfd_create("fuzz.trace", 0);
  static const int out = memfd_create("fuzz.replay", 0);
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  static const std::string out_path = "/proc/self/fd/" + std::to_string(out);
  if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) __builtin_trap();
  if (ftruncate(out, 0) != 0) __builtin_trap();
  try {
    allocbench::trace::TraceSummary s = allocbench::trace::summarise_trace(path);
    allocbench::trace::InputFile trace(path, "trace");
    allocbench::trace::prepare_replay(trace, allocbench::trace::trace_key(trace), out, out_path);
    allocbench::trace::PreparedReplay p =
        allocbench::trace::read_prepared(allocbench::trace::InputFile(out_path, "prepared replay"), true);
    if (p.header.operations != s.operations || p.header.threads != s.threads) __builtin_trap();
  } catch (const allocbench::Error& e) {
    if (e.code() != allocbench::ExitCode::bad_input) __builtin_trap();
  }
  return 0;
}
