// A preloadable library that closes the process's stdout and stderr as it loads, and
// then hangs: a worker that can no longer be heard from, and never ends. The driver's
// --timeout must hold all the same (cli.worker_failures).
#include <unistd.h>

namespace {

[[gnu::constructor]] void close_and_hang() {
  ::close(STDOUT_FILENO);
  ::close(STDERR_FILENO);
  for (;;) ::pause();
}

}  // namespace
