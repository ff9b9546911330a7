// Proof of which allocator this worker really runs: the shared object the dynamic
// linker resolved malloc to, and the allocator's own version.
#pragma once

#include <string>

namespace allocbench {

// File name (no directory) of the object that provides malloc, e.g. "libjemalloc.so.2".
std::string malloc_provider();
// Its path, as the dynamic linker loaded it: what a program's LD_PRELOAD names (cmd:).
std::string malloc_provider_path();

// Versions as the allocators encode them: mimalloc's 209 is "2.0.9"; jemalloc's
// "5.3.0-0-g54eaed1d8b56…" is "5.3.0".
std::string mimalloc_version_text(int encoded);
std::string jemalloc_version_text(const char* full);

// The version of an allocator loaded with LD_PRELOAD, asked through the version
// functions of the allocators allocbench knows (mimalloc, jemalloc, tcmalloc);
// "unknown" for any other.
std::string preloaded_version();

}  // namespace allocbench
