// Where a workload's objects come from. With allocate=1, the allocator under test
// (operator new and sized delete). With allocate=0, a pool set up with the workload: the
// same work, the same objects written and read, rounded to size classes as allocators
// round them, and no allocator call in the phase. The phase's time is then the
// harness's own, and allocate=0 time over allocate=1 time is the workload's harness share.
//
// The pool: per thread, a free list per size class, carved from chunks it maps itself
// (mmap, never malloc); a handful of instructions per call, well under any allocator's.
// A block goes back to the list of the thread that frees it. Where every thread frees
// about as much as it allocates (the synthetic workloads, a profile whose classes all have
// the same threads), the lists stay balanced up to random drift; where one thread mostly
// frees what another allocates, the other keeps carving, and maps chunks in the phase: its
// harness share is then an overstatement.
#pragma once

#include "common/size_classes.hpp"
#include "workloads/params.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <vector>

namespace allocbench {

// The `allocate` parameter every synthetic workload has (a function: the workloads'
// tables are built during static initialisation).
ParamSpec allocate_param();

class ObjectPool {
 public:
  void* take(size_t size) {
    size_t c = class_of(size);
    void* p = lists_[c];
    if (!p) [[unlikely]] return carve(c);
    lists_[c] = *static_cast<void**>(p);
    return p;
  }

  void put(void* p, size_t size) {
    size_t c = class_of(size);
    *static_cast<void**>(p) = lists_[c];
    lists_[c] = p;
  }

  ObjectPool() = default;
  ~ObjectPool();
  ObjectPool(const ObjectPool&) = delete;
  ObjectPool& operator=(const ObjectPool&) = delete;

  // common/size_classes.hpp, with a check above 1 KiB.
  static size_t class_of(size_t size) { return size <= 1024 ? (size + 15) >> 4 : large_class(size); }

 private:
  static size_t large_class(size_t size);
  void* carve(size_t c);

  std::array<void*, size_classes::count> lists_{};
  char* next_ = nullptr;  // the unused rest of the current chunk
  char* end_ = nullptr;
  void* mappings_ = nullptr;  // every chunk, linked through its first word
};

// A workload's pools, one per thread; inactive (no pool, the allocator serves) with allocate=1.
class ObjectPools {
 public:
  ObjectPools(unsigned threads, bool active);
  ~ObjectPools();
  ObjectPools(const ObjectPools&) = delete;
  ObjectPools& operator=(const ObjectPools&) = delete;

  // While alive, obtain() and release() on this thread use `thread`'s pool.
  class Use {
   public:
    Use(ObjectPools& pools, unsigned thread);
    ~Use();
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;

   private:
    ObjectPool* previous_;
  };

 private:
  std::vector<std::unique_ptr<ObjectPool>> pools_;
};

// The calling thread's pool, while an ObjectPools::Use is alive on it.
inline thread_local ObjectPool* current_pool = nullptr;

inline void* obtain(size_t size) {
  if (ObjectPool* pool = current_pool) [[unlikely]] return pool->take(size);
  return ::operator new(size);
}

inline void release(void* p, size_t size) {
  if (ObjectPool* pool = current_pool) [[unlikely]] return pool->put(p, size);
  ::operator delete(p, size);
}

// For standard containers and strings: objects from obtain() and release().
template <typename T>
struct ObjectAllocator {
  static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__, "the pool aligns blocks as operator new does");
  using value_type = T;
  ObjectAllocator() = default;
  template <typename U>
  ObjectAllocator(const ObjectAllocator<U>&) {}
  T* allocate(size_t n) { return static_cast<T*>(obtain(n * sizeof(T))); }
  void deallocate(T* p, size_t n) { release(p, n * sizeof(T)); }
  template <typename U>
  bool operator==(const ObjectAllocator<U>&) const { return true; }
};

// unique_ptr's deleter for an object made by make_pooled.
template <typename T>
struct PooledDelete {
  void operator()(T* p) const {
    p->~T();
    release(p, sizeof(T));
  }
};

template <typename T>
using Pooled = std::unique_ptr<T, PooledDelete<T>>;

template <typename T, typename... Args>
Pooled<T> make_pooled(Args&&... args) {
  void* p = obtain(sizeof(T));
  return Pooled<T>(::new (p) T(std::forward<Args>(args)...));
}

}  // namespace allocbench
