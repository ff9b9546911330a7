// The executable file behind a command, and what makes the dynamic loader ignore
// LD_PRELOAD in it.
#pragma once

#include <string>

namespace allocbench {

// `name` as execvp finds it: itself when it has a slash, else the first executable of
// that name in PATH; empty when there is none.
std::string find_program(const std::string& name);

// Why LD_PRELOAD cannot reach malloc in the program at `path`: "it is statically linked
// (no ELF interpreter)", "it is set-user-ID", ...; empty when nothing in the file says so.
std::string why_preload_is_ignored(const std::string& path);

// A file installed beside the running executable (workers, the preloaded libraries).
std::string beside_executable(const std::string& file);

}  // namespace allocbench
