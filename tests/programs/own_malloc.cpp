// A program that links its own allocator (a bump allocator over one mapping): no
// preloaded allocator can serve its malloc, and cmd: workloads must refuse it.
#include <sys/mman.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>

namespace {

constexpr size_t arena_bytes = size_t{1} << 30;
constexpr size_t header = 16;  // the block's size, before it
char* arena = nullptr;
std::atomic<size_t> used{0};

void* bump(size_t n, size_t alignment) {
  if (!arena) {
    void* m = mmap(nullptr, arena_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) return nullptr;
    arena = static_cast<char*>(m);
  }
  if (alignment < header) alignment = header;
  size_t at = used.fetch_add(n + header + alignment);
  if (at + n + header + alignment > arena_bytes) return nullptr;
  char* block = arena + ((at + header + alignment - 1) / alignment * alignment);
  std::memcpy(block - sizeof n, &n, sizeof n);
  return block;
}

size_t size_of(void* p) {
  size_t n;
  std::memcpy(&n, static_cast<char*>(p) - sizeof n, sizeof n);
  return n;
}

}  // namespace

extern "C" {
void* malloc(size_t n) { return bump(n, 16); }
void free(void*) {}
void* calloc(size_t count, size_t n) { return bump(count * n, 16); }  // mmap'd memory is zero
void* realloc(void* old, size_t n) {
  void* p = bump(n, 16);
  if (p && old) std::memcpy(p, old, size_of(old) < n ? size_of(old) : n);
  return p;
}
void* memalign(size_t alignment, size_t n) { return bump(n, alignment); }
void* aligned_alloc(size_t alignment, size_t n) { return bump(n, alignment); }
int posix_memalign(void** out, size_t alignment, size_t n) {
  *out = bump(n, alignment);
  return *out ? 0 : ENOMEM;
}
size_t malloc_usable_size(void* p) { return p ? size_of(p) : 0; }
}

int main() {
  char* text = static_cast<char*>(malloc(64));
  std::snprintf(text, 64, "allocated from the program's own arena\n");
  std::fputs(text, stdout);
  free(text);
}
