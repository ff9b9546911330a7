// What the preloaded libraries of `cmd:` workloads tell the launcher: lines appended to
// the file ALLOCBENCH_PROBE_FILE names, each "<kind> <pid> ..." in one write(2), so that
// the lines of a program's child processes, which inherit the variable, never mix.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace allocbench::preload {

inline constexpr const char* report_variable = "ALLOCBENCH_PROBE_FILE";

inline void append_report_line(const char* line, size_t length) {
  const char* path = std::getenv(report_variable);
  if (!path || !*path) return;
  int saved_errno = errno;  // the program's errno is its own
  int fd = ::open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd >= 0) {
    (void)!::write(fd, line, length);
    ::close(fd);
  }
  errno = saved_errno;
}

}  // namespace allocbench::preload
