#include "common/resident_memory.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

namespace allocbench {

int64_t resident_bytes() {
  int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[128];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  long long size = 0, resident = 0;  // statm: pages of the mapping, then resident pages
  if (std::sscanf(buf, "%lld %lld", &size, &resident) != 2) return 0;
  return resident * ::sysconf(_SC_PAGESIZE);
}

}  // namespace allocbench
