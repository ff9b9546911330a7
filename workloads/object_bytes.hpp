// Raw objects as a program would use them: allocated with operator new, written to
// when created, read back when destroyed, freed with sized delete.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>

namespace allocbench {

constexpr std::size_t cache_line = 64;

// Allocates `size` bytes (≥ 8), stores `value` in the first word and touches every
// cache line, as constructing an object would.
inline void* make_object(std::size_t size, uint64_t value) {
  auto* p = static_cast<unsigned char*>(::operator new(size));
  std::memcpy(p, &value, sizeof value);
  for (std::size_t i = cache_line; i < size; i += cache_line) p[i] = static_cast<unsigned char>(value);
  p[size - 1] = static_cast<unsigned char>(value >> 8);
  return p;
}

// Reads the stored value back (so the work cannot be optimised away) and frees.
inline uint64_t destroy_object(void* p, std::size_t size) {
  uint64_t value;
  std::memcpy(&value, p, sizeof value);
  ::operator delete(p, size);
  return value;
}

// Frees every object of a window (elements with `object` and `size`) and empties it;
// returns the sum of their values.
template <typename Window>
uint64_t destroy_all(Window& window) {
  uint64_t sum = 0;
  for (auto& slot : window) sum += destroy_object(slot.object, slot.size);
  window = {};
  return sum;
}

}  // namespace allocbench
