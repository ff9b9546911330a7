// The process's resident set, read from /proc/self/statm without allocating: cheap enough
// to read inside a measured phase (a workload's own figures at its phase boundaries).
#pragma once

#include <cstdint>

namespace allocbench {

int64_t resident_bytes();  // 0 where /proc/self/statm cannot be read

}  // namespace allocbench
