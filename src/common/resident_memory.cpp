#include "common/resident_memory.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace allocbench {

std::optional<Footprint> read_footprint() {
  int fd = ::open("/proc/self/smaps_rollup", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buf[4096];  // the whole file is about 1 KiB
  size_t used = 0;
  for (ssize_t n; used < sizeof buf - 1 && (n = ::read(fd, buf + used, sizeof buf - 1 - used)) > 0;)
    used += static_cast<size_t>(n);
  ::close(fd);
  buf[used] = '\0';
  Footprint fp;
  int found = 0;
  for (char* line = buf; *line;) {
    long long kib = 0;
    if (std::sscanf(line, "Rss: %lld kB", &kib) == 1) fp.rss = kib * 1024, ++found;
    else if (std::sscanf(line, "Pss: %lld kB", &kib) == 1) fp.pss = kib * 1024, ++found;
    else if (std::sscanf(line, "LazyFree: %lld kB", &kib) == 1) fp.lazy_free = kib * 1024, ++found;
    char* end = std::strchr(line, '\n');
    if (!end) break;
    line = end + 1;
  }
  if (found != 3) return std::nullopt;
  return fp;
}

}  // namespace allocbench
