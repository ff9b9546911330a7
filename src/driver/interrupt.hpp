// Ctrl-C (SIGINT), SIGTERM and SIGHUP during a run: the running worker is killed, the
// run stops after it, and what finished is reported. A second signal ends the driver at
// once.
#pragma once

namespace allocbench {

void install_interrupt_handlers();
bool interrupted();

}  // namespace allocbench
