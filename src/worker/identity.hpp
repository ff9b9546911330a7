// Proof of which allocator this worker really runs: the shared object the dynamic
// linker resolved malloc to, and the allocator's own version.
#pragma once

#include <string>

namespace allocbench {

// File name (no directory) of the object that provides malloc, e.g. "libjemalloc.so.2".
std::string malloc_provider();

// The allocator's version as it reports it; defined once per backend in src/backends/.
std::string backend_version();

}  // namespace allocbench
