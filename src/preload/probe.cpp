// liballocbench-probe.so: loaded with LD_PRELOAD into the program a `cmd:` workload
// runs, it reports which object provides malloc there, so that no figure is ever
// reported for an allocator that did not serve the program: "provider PID library
// PATH", or "provider PID program PATH" when the executable defines malloc itself.
// It interposes the exec family alone: "exec PID" before an exec, "exec-failed PID"
// when it returns, so that an exec into an image the probe never loads into (a static
// or set-user-ID program) shows as an exec that no image's report followed. The
// counting library (counter.cpp) includes it.
#include "preload/report_line.hpp"

#include <alloca.h>
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdarg>
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

// Whether `symbol` is a non-PIE executable's canonical PLT entry rather than a definition:
// an executable built without -pie that takes malloc's address gets an undefined symbol
// with a value, and lookups return that stub, though a library serves its calls.
bool plt_entry(void* symbol) {
  Dl_info info{};
  void* found = nullptr;  // the symbol's ElfW(Sym)
  if (!dladdr1(symbol, &info, &found, RTLD_DL_SYMENT) || !found) return false;  // unknown: taken as a definition
  const auto* entry = static_cast<const ElfW(Sym)*>(found);
  return entry->st_shndx == SHN_UNDEF && entry->st_value != 0;
}

// The first object in lookup order after the executable that defines malloc itself, this
// library (the counting one, which forwards) left out.
void* first_library_malloc(const Dl_info& self) {
  void* program = dlopen(nullptr, RTLD_LAZY);
  link_map* map = nullptr;
  if (!program || dlinfo(program, RTLD_DI_LINKMAP, &map) != 0) return nullptr;
  void* found = nullptr;
  for (link_map* l = map->l_next; l && !found; l = l->l_next) {
    void* handle = dlopen(l->l_name, RTLD_LAZY | RTLD_NOLOAD);
    if (!handle) continue;
    void* symbol = dlsym(handle, "malloc");  // this object's, or one of its dependencies'
    dlclose(handle);
    Dl_info info{};
    if (symbol && !plt_entry(symbol) && dladdr(symbol, &info) && info.dli_fbase != self.dli_fbase && info.dli_fname &&
        std::strcmp(info.dli_fname, l->l_name) == 0)
      found = symbol;
  }
  dlerror();  // a failed lookup (the vDSO's) leaves an error the program might read
  return found;
}

__attribute__((constructor)) void report_malloc_provider() {
  int saved_errno = errno;  // the program's errno is its own
  void* malloc_symbol = dlsym(RTLD_DEFAULT, "malloc");
  Dl_info self{}, info{};
  dladdr(&self_marker, &self);
  if (malloc_symbol && plt_entry(malloc_symbol)) malloc_symbol = first_library_malloc(self);
  // The counting library provides malloc itself: the allocator is the one it forwards to.
  if (malloc_symbol && dladdr(malloc_symbol, &info) && info.dli_fbase == self.dli_fbase)
    malloc_symbol = dlsym(RTLD_NEXT, "malloc");
  info = {};
  const char* path = "unknown";
  if (malloc_symbol && dladdr(malloc_symbol, &info) && info.dli_fname) path = info.dli_fname;
  // The main program's name in the link map is empty, or argv[0]: compare the files.
  char executable[PATH_MAX] = {}, provider[PATH_MAX] = {};
  bool in_program = realpath("/proc/self/exe", executable) &&
                    (!*path || (realpath(path, provider) && std::strcmp(provider, executable) == 0));
  char where[PATH_MAX + 16];
  std::snprintf(where, sizeof where, "%s %s", in_program ? "program" : "library", in_program ? executable : path);
  report("provider", where);
  errno = saved_errno;
}

template <typename F>
F next(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

// Runs an exec through the next definition of `name`, reported before, and after when it fails.
template <typename F, typename... Args>
int reported_exec(const char* name, Args... args) {
  report("exec", "");
  auto exec = next<F>(name);
  int rc = exec ? exec(args...) : (errno = ENOSYS, -1);
  int saved_errno = errno;
  report("exec-failed", "");
  errno = saved_errno;
  return rc;
}

// How many arguments execl and its kin were given, the first included, before the null pointer.
size_t count_args(va_list args) {
  va_list counting;
  va_copy(counting, args);
  size_t n = 1;
  while (va_arg(counting, char*)) ++n;
  va_end(counting);
  return n;
}

}  // namespace

using Exec = int (*)(const char*, char* const[], char* const[]);
using ExecNoEnv = int (*)(const char*, char* const[]);

extern "C" {

int execve(const char* path, char* const argv[], char* const envp[]) {
  return reported_exec<Exec>("execve", path, argv, envp);
}
int execv(const char* path, char* const argv[]) { return reported_exec<ExecNoEnv>("execv", path, argv); }
int execvp(const char* file, char* const argv[]) { return reported_exec<ExecNoEnv>("execvp", file, argv); }
int execvpe(const char* file, char* const argv[], char* const envp[]) {
  return reported_exec<Exec>("execvpe", file, argv, envp);
}
int fexecve(int fd, char* const argv[], char* const envp[]) {
  return reported_exec<int (*)(int, char* const[], char* const[])>("fexecve", fd, argv, envp);
}
int execveat(int dirfd, const char* path, char* const argv[], char* const envp[], int flags) {
  return reported_exec<int (*)(int, const char*, char* const[], char* const[], int)>("execveat", dirfd, path, argv,
                                                                                    envp, flags);
}

// execl, execlp and execle gather their arguments and go through the ones above.
#define GATHER_ARGS(first, argv)                                        \
  va_list args;                                                         \
  va_start(args, first);                                                \
  size_t n = count_args(args);                                          \
  auto argv = static_cast<char**>(alloca((n + 1) * sizeof(char*)));     \
  argv[0] = const_cast<char*>(first);                                   \
  for (size_t i = 1; i <= n; ++i) argv[i] = va_arg(args, char*);

int execl(const char* path, const char* arg, ...) {
  GATHER_ARGS(arg, argv)
  va_end(args);
  return execv(path, argv);
}
int execlp(const char* file, const char* arg, ...) {
  GATHER_ARGS(arg, argv)
  va_end(args);
  return execvp(file, argv);
}
int execle(const char* path, const char* arg, ...) {
  GATHER_ARGS(arg, argv)
  char* const* envp = va_arg(args, char* const*);
  va_end(args);
  return execve(path, argv, envp);
}

}  // extern "C"
