// libFuzzer target: the trace reader must turn any bytes into either a trace ready to
// replay or a usage error; a crash, a hang, another exception or a sanitizer report is a bug.
#include "common/error.hpp"
#include "trace/reader.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // read_trace reads a file: the input is written to a memory file it opens by name.
  static const int fd = memfd_create("fuzz.trace", 0);
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) __builtin_trap();
  try {
    allocbench::trace::Trace t = allocbench::trace::read_trace(path);
    // Every reference the replay will follow stays inside its tables.
    for (size_t thread = 0; thread < t.summary.threads; ++thread)
      for (size_t i = t.thread_begin[thread]; i < t.thread_begin[thread + 1]; ++i) {
        const auto& op = t.ops[i];
        bool shared_new = op.flags & allocbench::trace::ReplayOp::notify;
        bool shared_old = op.flags & allocbench::trace::ReplayOp::wait;
        if (!allocbench::trace::is_free(op.op) && op.slot >= (shared_new ? t.shared_slots : t.local_slots[thread]))
          __builtin_trap();
        if (op.old_slot != allocbench::trace::no_object &&
            op.old_slot >= (shared_old ? t.shared_slots : t.local_slots[thread]))
          __builtin_trap();
      }
  } catch (const allocbench::Error& e) {
    if (e.code() != allocbench::ExitCode::bad_input) __builtin_trap();
  }
  return 0;
}
