// The kinds of allocator call that run --latency times, and the size bands it also keeps
// them by, as its metrics name them (malloc_p99_ns, realloc_max_ns, free_le_64_p99_ns, ...)
// and reports list them.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace allocbench {

inline constexpr std::array<std::string_view, 5> call_kinds{"malloc", "free", "realloc", "calloc", "aligned"};

// Up to 64 B, 1 KiB, 128 KiB (glibc's default mmap threshold), and beyond. A free's size
// is known from sized deallocation or a replay; a call of unknown size (0) is in no band.
inline constexpr std::array<std::string_view, 4> size_bands{"le_64", "le_1k", "le_128k", "gt_128k"};
inline constexpr std::array<std::string_view, 4> size_band_labels{"<=64 B", "65 B-1 KiB", "1-128 KiB", ">128 KiB"};
inline constexpr size_t band_of(size_t size) {
  if (size == 0) return size_bands.size();
  return size <= 64 ? 0 : size <= 1024 ? 1 : size <= 128 * 1024 ? 2 : 3;
}

}  // namespace allocbench
