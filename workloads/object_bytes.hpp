// Raw objects as a program would use them: allocated (object_pool.hpp), written to
// when created, read back when destroyed, freed with their size.
#pragma once

#include "workloads/object_pool.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace allocbench {

constexpr std::size_t cache_line = 64;

// Writes `value` into the first word and one byte into every cache line of an object
// of `size` ≥ 8 bytes, as constructing it would.
inline void fill_object(void* object, std::size_t size, uint64_t value) {
  auto* p = static_cast<unsigned char*>(object);
  std::memcpy(p, &value, sizeof value);
  for (std::size_t i = cache_line; i < size; i += cache_line) p[i] = static_cast<unsigned char>(value);
  p[size - 1] = static_cast<unsigned char>(value >> 8);
}

// The first word fill_object stored: reading it back keeps the work from being optimised away.
inline uint64_t read_object(const void* object) {
  uint64_t value;
  std::memcpy(&value, object, sizeof value);
  return value;
}

// Allocates `size` ≥ 8 bytes (obtain: operator new, or the pool) and fills them with `value`.
inline void* make_object(std::size_t size, uint64_t value) {
  void* p = obtain(size);
  fill_object(p, size, value);
  return p;
}

// Reads the stored value back and frees; returns the object's fingerprint for a checksum:
// the value it held and its size.
inline uint64_t destroy_object(void* p, std::size_t size) {
  uint64_t value = read_object(p);
  release(p, size);
  return value ^ size;
}

// A program's object of any size, as a replay makes it (trace:, profile:): written as
// constructing it would, each cache line of its first 4 KiB and its last byte. A replay
// cannot tell what the program wrote into a large buffer later, and writing all of it would
// fault in pages a program that reserves capacity never uses. Objects under a word get
// their bytes.
constexpr std::size_t touched_prefix = 4096;
inline void touch(void* p, std::size_t size, uint64_t value) {
  if (size < sizeof value) {
    std::memcpy(p, &value, size);
    return;
  }
  fill_object(p, std::min(size, touched_prefix), value);
  if (size > touched_prefix) static_cast<unsigned char*>(p)[size - 1] = static_cast<unsigned char>(value);
}

// What touch() stored, read back.
inline uint64_t read_back(const void* p, std::size_t size) {
  uint64_t value = 0;
  if (size < sizeof value) std::memcpy(&value, p, size);
  else value = read_object(p);
  return value;
}

// A live object of a workload's window, with the size it was allocated with.
struct Slot {
  void* object;
  uint32_t size;
};

// Frees every object of a window (elements with `object` and `size`) in order, adds their
// fingerprints to `digest`, and empties the window.
template <typename Window, typename Digest>
void destroy_all(Window& window, Digest& digest) {
  for (auto& slot : window) digest.add(destroy_object(slot.object, slot.size));
  window = {};
}

}  // namespace allocbench
