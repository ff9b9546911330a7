#include "trace/objects.hpp"

#include "common/error.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>

namespace allocbench::trace {

void out_of_memory(const std::string& path, size_t objects, uint64_t needed, uint64_t limit) {
  throw run_error("trace {}: its {} live objects need more memory than is available (MemAvailable, or ulimit -v): "
                  "{} MiB, {} MiB available",
                  path, objects, needed >> 20, limit >> 20);
}

uint64_t available_memory() {
  uint64_t available = UINT64_MAX;
  if (std::FILE* f = std::fopen("/proc/meminfo", "r")) {
    char line[256];
    unsigned long long kib = 0;
    bool found = false;
    while (!found && std::fgets(line, sizeof line, f)) found = std::sscanf(line, "MemAvailable: %llu kB", &kib) == 1;
    std::fclose(f);
    if (found) available = kib * 1024;
  }
  rlimit limit{};  // ulimit -v
  if (::getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    available = std::min<uint64_t>(available, limit.rlim_cur);
  return available;
}

}  // namespace allocbench::trace
