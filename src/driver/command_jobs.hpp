// The jobs of `cmd:` workloads: the launcher (src/launcher) runs the program, once per
// job, with the backend's allocator library in LD_PRELOAD.
#pragma once

#include "driver/backends.hpp"

#include <string>
#include <vector>

namespace allocbench {

// What the launcher needs of a backend: the library to preload (none for glibc), the
// file name of the object that must then provide malloc, and the allocator's version;
// or why the backend cannot run programs, which fails its cells alone.
struct Launch {
  std::string allocator;
  std::string expect;
  std::string version;
  std::string error;
};

// Asks the backend's worker which library serves it (a real process).
Launch launch_of(const BackendSpec& spec);

// The launcher's command line for one repetition; the runner adds --output-dir.
std::vector<std::string> launcher_argv(std::string_view workload, const BackendSpec& spec, const Launch& launch,
                                       bool counted, double timeline_ms);

// The worker's environment, less LD_PRELOAD: the launcher gives the program its own.
std::vector<std::string> launcher_environment(const BackendSpec& spec);

}  // namespace allocbench
