// The pool allocator of backend `pool`: what a team writes when it rolls its own.
//
// Size classes 16 bytes apart, up to max_class. Each class's blocks are carved from
// chunks of one address range reserved with mmap, made writable as they are needed, so
// that a pointer's address says whether the pool owns it and which class it is. Each
// thread keeps a cache of free blocks per class; a full cache hands half of it, as one
// batch, to the class's global free list, and an empty one takes a batch back. That list is a
// lock-free stack with a tagged head, safe from ABA. A block may be freed by any thread.
// Larger requests, stronger alignments and anything the range cannot hold go to a
// fallback allocator (glibc's, in the library). The pool never returns memory.
#pragma once

#include <cstddef>

#define ALLOCBENCH_POOL_EXPORT __attribute__((visibility("default")))

namespace allocbench::pool {

// 16 bytes apart: glibc's alignment, which all four general-purpose allocators give and C
// asks for (a 16-byte long double, aligned to 16, fits in a block of 24).
inline constexpr size_t class_step = 16;
inline constexpr size_t smallest_class = 16;
inline constexpr size_t largest_max_class = 4096;
inline constexpr size_t chunk_granule = 64 << 10;  // chunks are a multiple of it
inline constexpr size_t largest_chunk = 256 << 20;
inline constexpr size_t largest_thread_cache = 32768;
// The range is the largest of 64 GiB, 32, ..., 1 GiB that the system grants (valgrind
// grants less than 64): what it cannot hold goes to the fallback.
inline constexpr size_t largest_range = size_t{64} << 30;
inline constexpr size_t smallest_range = size_t{1} << 30;

// Within the limits above: max_class a multiple of class_step,
// chunk_bytes a multiple of chunk_granule, thread_cache (free blocks kept per class;
// 0: every call goes to the global lists) up to largest_thread_cache.
struct Settings {
  size_t max_class = 1024;
  size_t chunk_bytes = 256 << 10;
  size_t thread_cache = 64;
};

// Where what the pool does not serve goes.
struct Fallback {
  void* (*malloc)(size_t);
  void* (*calloc)(size_t, size_t);
  void* (*realloc)(void*, size_t);
  void* (*memalign)(size_t, size_t);
  void (*free)(void*);
  size_t (*usable_size)(void*);
};

// The pool's memory, in bytes. A block is in exactly one place: a global free list, a
// thread's cache, or the program's hands.
struct Stats {
  size_t range_bytes;         // the address range reserved
  size_t chunk_bytes;         // mapped for chunks
  size_t resident_bytes;      // of those, in RAM
  size_t carved_bytes;        // cut into blocks so far
  size_t free_list_bytes;     // in the global free lists
  size_t thread_cache_bytes;  // in the threads' caches
  size_t fallback_bytes;      // class sizes of the calls sent to the fallback as no chunk was left
  size_t caches_mapped;       // thread caches made so far (a thread's is reused after its exit)
};

// Once, before any other call, from one thread; false when no range can be reserved, or
// the thread-exit key or the fork handlers cannot be registered.
bool init(const Settings& settings, const Fallback& fallback);

ALLOCBENCH_POOL_EXPORT const Settings& settings();
ALLOCBENCH_POOL_EXPORT Stats stats();
ALLOCBENCH_POOL_EXPORT const char* version();

// The malloc family. null from allocate means the fallback failed too (errno ENOMEM).
void* allocate(size_t size);
void* allocate_zeroed(size_t count, size_t size);
void* allocate_aligned(size_t alignment, size_t size);  // alignment: a power of two
void* reallocate(void* p, size_t size);                 // size 0 frees p, as glibc does
void release(void* p);
bool owns(const void* p);  // a block of a class, not the fallback's
size_t usable_size(void* p);

}  // namespace allocbench::pool
