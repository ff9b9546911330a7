// liballocbench-pool.so's malloc family as a program sees it (this program links it, as
// the pool's worker does): glibc's answers to bad arguments, errno, alignment rounding,
// and the split between the pool's blocks and glibc's. Exits 1 naming the first miss.
#include <malloc.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>

namespace {

int misses = 0;

void expect(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "pool_entry: %s\n", what);
    ++misses;
  }
}

bool aligned(const void* p, size_t alignment) { return p && reinterpret_cast<uintptr_t>(p) % alignment == 0; }

}  // namespace

int main() {
  void* small = std::malloc(24);
  expect(malloc_usable_size(small) == 32, "malloc(24) is not a block of the 32-byte class");
  expect(aligned(small, 16), "malloc(24) is not 16-aligned");
  void* large = std::malloc(1 << 20);
  expect(malloc_usable_size(large) >= 1 << 20, "malloc(1 MiB) has less usable space");
  expect(malloc_usable_size(nullptr) == 0, "malloc_usable_size(NULL) is not 0");

  void* p = nullptr;
  expect(posix_memalign(&p, 3, 8) == EINVAL, "posix_memalign with alignment 3 is not EINVAL");
  expect(posix_memalign(&p, 4, 8) == EINVAL, "posix_memalign with alignment 4 (under a pointer) is not EINVAL");
  errno = 1234;
  expect(posix_memalign(&p, 256, 100) == 0 && aligned(p, 256), "posix_memalign(256, 100) failed");
  expect(errno == 1234, "a successful posix_memalign changed errno");
  expect(malloc_usable_size(p) == 256, "posix_memalign(256, 100) is not a block of the 256-byte class");
  std::free(p);
  expect(posix_memalign(&p, 8192, 100) == 0 && aligned(p, 8192), "posix_memalign(8192, 100) failed");
  std::free(p);

  errno = 0;
  expect(aligned_alloc(3, 8) == nullptr && errno == EINVAL, "aligned_alloc with alignment 3 is not EINVAL");
  void* a = aligned_alloc(64, 64);
  expect(aligned(a, 64), "aligned_alloc(64, 64) is not 64-aligned");
  void* m = memalign(48, 10);  // glibc rounds the alignment up to 64
  expect(aligned(m, 64), "memalign(48, 10) is not 64-aligned");
  void* z = memalign(0, 10);
  expect(z != nullptr, "memalign(0, 10) failed");

  volatile size_t huge = SIZE_MAX;  // unknown to the compiler, which would refuse it
  errno = 0;
  expect(std::calloc(huge, 2) == nullptr && errno == ENOMEM, "calloc overflow is not ENOMEM");
  errno = 0;
  expect(reallocarray(nullptr, huge, 2) == nullptr && errno == ENOMEM, "reallocarray overflow is not ENOMEM");
  errno = 0;
  expect(std::malloc(huge) == nullptr && errno == ENOMEM, "malloc(SIZE_MAX) is not ENOMEM");

  auto* grown = static_cast<unsigned char*>(std::realloc(small, 4000));  // from the pool to glibc
  expect(grown != nullptr && malloc_usable_size(grown) >= 4000, "realloc from a class to glibc failed");
  expect(std::realloc(grown, 0) == nullptr, "realloc(p, 0) did not free");
  for (void* q : {large, a, m, z}) std::free(q);
  return misses ? 1 : 0;
}
