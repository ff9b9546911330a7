// The kinds of allocator call that run --latency times, as its metrics name them
// (malloc_p99_ns, realloc_max_ns, ...) and reports list them.
#pragma once

#include <array>
#include <string_view>

namespace allocbench {

inline constexpr std::array<std::string_view, 5> call_kinds{"malloc", "free", "realloc", "calloc", "aligned"};

}  // namespace allocbench
