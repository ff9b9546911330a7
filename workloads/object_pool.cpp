#include "workloads/object_pool.hpp"

#include "common/error.hpp"

#include <sys/mman.h>

#include <algorithm>

namespace allocbench {

ParamSpec allocate_param() {
  return {"allocate", ValueType::count, 1, 0, 1,
          "0: objects from a pool set up beforehand, no allocator call in the phase (the harness's own cost)"};
}

namespace {

constexpr size_t chunk_bytes = size_t{1} << 20;
constexpr size_t chunk_header = 64;  // the link to the previous chunk, and its size; keeps blocks aligned

void** words(void* p) { return static_cast<void**>(p); }

}  // namespace

size_t ObjectPool::large_class(size_t size) {
  if (size > size_classes::largest)
    throw run_error("allocate=0: the object pool serves objects up to 4 GiB, not {} bytes", size);
  return size_classes::class_of(size);
}

void* ObjectPool::carve(size_t c) {
  size_t size = size_classes::class_size(c);
  if (static_cast<size_t>(end_ - next_) < size) {
    size_t bytes = std::max(chunk_bytes, chunk_header + size);
    void* chunk = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (chunk == MAP_FAILED) throw run_error("allocate=0: the object pool could not map {} bytes", bytes);
    words(chunk)[0] = mappings_;
    words(chunk)[1] = reinterpret_cast<void*>(bytes);
    mappings_ = chunk;
    next_ = static_cast<char*>(chunk) + chunk_header;
    end_ = static_cast<char*>(chunk) + bytes;
  }
  void* p = next_;
  next_ += size;
  return p;
}

ObjectPool::~ObjectPool() {
  for (void* chunk = mappings_; chunk;) {
    void* previous = words(chunk)[0];
    ::munmap(chunk, reinterpret_cast<size_t>(words(chunk)[1]));
    chunk = previous;
  }
}

ObjectPools::ObjectPools(unsigned threads, bool active) {
  if (!active) return;
  for (unsigned t = 0; t < threads; ++t) pools_.push_back(std::make_unique<ObjectPool>());
}

ObjectPools::~ObjectPools() = default;

ObjectPools::Use::Use(ObjectPools& pools, unsigned thread) : previous_(current_pool) {
  if (!pools.pools_.empty()) current_pool = pools.pools_.at(thread).get();
}

ObjectPools::Use::~Use() { current_pool = previous_; }

}  // namespace allocbench
