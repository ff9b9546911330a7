// liballocbench-probe.so: loaded with LD_PRELOAD into the program a `cmd:` workload
// runs, it reports which object provides malloc there, so that no figure is ever
// reported for an allocator that did not serve the program: "provider PID library
// PATH", or "provider PID program PATH" when the executable defines malloc itself.
// It interposes nothing. The counting library (counter.cpp) includes it.
#include "preload/report_line.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

char self_marker;

__attribute__((constructor)) void report_malloc_provider() {
  void* malloc_symbol = dlsym(RTLD_DEFAULT, "malloc");
  Dl_info self{}, info{};
  // The counting library provides malloc itself: the allocator is the one it forwards to.
  if (dladdr(&self_marker, &self) && malloc_symbol && dladdr(malloc_symbol, &info) && info.dli_fbase == self.dli_fbase)
    malloc_symbol = dlsym(RTLD_NEXT, "malloc");
  info = {};
  const char* path = "unknown";
  if (malloc_symbol && dladdr(malloc_symbol, &info) && info.dli_fname) path = info.dli_fname;
  // The main program's name in the link map is empty, or argv[0]: compare the files.
  char executable[PATH_MAX] = {}, provider[PATH_MAX] = {};
  bool in_program = realpath("/proc/self/exe", executable) &&
                    (!*path || (realpath(path, provider) && std::strcmp(provider, executable) == 0));
  if (in_program) path = executable;
  char line[PATH_MAX + 64];
  int n = std::snprintf(line, sizeof line, "provider %d %s %s\n", static_cast<int>(getpid()),
                        in_program ? "program" : "library", path);
  if (n > 0) allocbench::preload::append_report_line(line, static_cast<size_t>(n) < sizeof line ? n : sizeof line - 1);
}

}  // namespace
