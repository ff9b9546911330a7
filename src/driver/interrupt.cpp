#include "driver/interrupt.hpp"

#include "driver/spawn.hpp"

#include <atomic>
#include <csignal>

namespace allocbench {
namespace {

std::atomic<bool> stop{false};

// The worker runs in its own process group, so the terminal's Ctrl-C does not reach it:
// it is killed here. Only async-signal-safe calls.
void on_signal(int sig) {
  stop.store(true);
  kill_running_child();
  std::signal(sig, SIG_DFL);  // a second one ends the driver
}

}  // namespace

void install_interrupt_handlers() {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) std::signal(sig, on_signal);
}

bool interrupted() { return stop.load(); }

}  // namespace allocbench
