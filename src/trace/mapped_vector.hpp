// A vector whose storage comes straight from mmap: a trace's tables stay out of the
// heap of the allocator being measured, and out of the counting wrapper's figures.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <new>
#include <vector>

namespace allocbench::trace {

template <typename T>
struct MappedAllocator {
  using value_type = T;
  MappedAllocator() = default;
  template <typename U>
  MappedAllocator(const MappedAllocator<U>&) {}

  T* allocate(std::size_t n) {
    // Populated at once: far cheaper than a page fault per page as the vector is filled.
    void* p = mmap(nullptr, n * sizeof(T), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) { munmap(p, n * sizeof(T)); }
  template <typename U>
  bool operator==(const MappedAllocator<U>&) const { return true; }
};

template <typename T>
using mapped_vector = std::vector<T, MappedAllocator<T>>;

}  // namespace allocbench::trace
