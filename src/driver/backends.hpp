// The backends compiled into this build, where their workers are, and what they are.
#pragma once

#include <string>
#include <vector>

namespace allocbench {

// Names in build order. `spec` is "all" or a comma-separated list; unknown names are
// usage errors that list the known ones.
std::vector<std::string> select_backends(const std::vector<std::string>& spec);

// The worker executable of a backend: beside the allocbench executable.
std::string worker_path(const std::string& backend);

struct BackendIdentity {
  std::string name;
  std::string version;
  std::string malloc_provider;
  std::string error;  // non-empty when the worker could not identify itself
};

// Asks the backend's worker (a real process) for its version and malloc provider.
BackendIdentity identify_backend(const std::string& backend);

}  // namespace allocbench
