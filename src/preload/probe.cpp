// liballocbench-probe.so: loaded with LD_PRELOAD into the program a `cmd:` workload
// runs, it reports which object provides malloc there, so that no figure is ever
// reported for an allocator that did not serve the program: "provider PID library
// PATH", or "provider PID program PATH" when the executable defines malloc itself.
// Beside it, "image PID NAME" (the kernel's name of the image, which the launcher
// compares with the name of the image that exited: an exec into a program the probe
// never loaded into shows there) and, at exit(), "exit PID". It interposes nothing.
// The counting library (counter.cpp) includes it.
#include "preload/report_line.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

char self_marker;

void report(const char* kind, const char* text) {
  char line[PATH_MAX + 64];
  int n = std::snprintf(line, sizeof line, "%s %d %s\n", kind, static_cast<int>(getpid()), text);
  if (n > 0) allocbench::preload::append_report_line(line, static_cast<size_t>(n) < sizeof line ? n : sizeof line - 1);
}

// The name the kernel gave this image at exec (before the program can rename itself:
// preloaded constructors run before the program's).
void report_image() {
  char name[64] = {};
  int fd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd >= 0 ? read(fd, name, sizeof name - 1) : -1;
  if (fd >= 0) close(fd);
  if (n <= 0) return;
  if (name[n - 1] == '\n') name[n - 1] = 0;
  report("image", name);
}

__attribute__((constructor)) void report_malloc_provider() {
  int saved_errno = errno;  // the program's errno is its own
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
  report_image();
  char where[PATH_MAX + 16];
  std::snprintf(where, sizeof where, "%s %s", in_program ? "program" : "library", in_program ? executable : path);
  report("provider", where);
  errno = saved_errno;
}

__attribute__((destructor)) void report_exit() { report("exit", ""); }

}  // namespace
