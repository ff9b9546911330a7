// Size classes as allocators space them: 16-byte steps to 1 KiB, then eight classes per
// power of two (at most 1/8 more than asked). The allocate=0 pool rounds objects to them;
// a profile (trace/profile.hpp) groups a program's allocations by them.
#pragma once

#include <algorithm>
#include <cstddef>

namespace allocbench::size_classes {

inline constexpr size_t largest = size_t{1} << 32;
inline constexpr size_t count = 65 + (32 - 10) * 8;  // classes 0 (0 bytes, served as 16) to 4 GiB

// Only for sizes up to `largest`.
inline size_t class_of(size_t size) {
  if (size <= 1024) return (size + 15) >> 4;
  unsigned lg = 64 - static_cast<unsigned>(__builtin_clzll(size - 1));  // size in (2^(lg-1), 2^lg]
  return 65 + (lg - 11) * 8 + (((size - 1) >> (lg - 4)) & 7);
}

// The largest size of class c.
inline size_t class_size(size_t c) {
  if (c <= 64) return std::max<size_t>(c, 1) * 16;
  size_t lg = 11 + (c - 65) / 8;
  return (size_t{1} << (lg - 1)) + ((c - 65) % 8 + 1) * (size_t{1} << (lg - 4));
}

// The smallest size of class c.
inline size_t class_floor(size_t c) { return c <= 1 ? 1 : class_size(c - 1) + 1; }

}  // namespace allocbench::size_classes
