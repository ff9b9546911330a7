// What the test allocators that forward to glibc share (slow_malloc, stall_malloc): glibc's
// own entry points, a setting read from the library's file name or a variable, and the
// aligned calls built on the library's own memalign. Included once per library.
#pragma once

#include <dlfcn.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

extern "C" {
void* __libc_malloc(size_t);
void __libc_free(void*);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void* memalign(size_t alignment, size_t size);  // each library's own
}

namespace {

void file_name_marker() {}  // an address inside this library, to find its file

// N from ".tagN" in the library's file name ("libstall_malloc.every500.so"), so that
// copies under other names are other allocators in one run; else the variable; else 0.
unsigned long setting(const char* tag, const char* variable) {
  Dl_info self{};
  if (dladdr(reinterpret_cast<void*>(&file_name_marker), &self) && self.dli_fname)
    if (const char* at = std::strstr(self.dli_fname, tag)) return std::strtoul(at + std::strlen(tag), nullptr, 10);
  const char* v = std::getenv(variable);
  return v ? std::strtoul(v, nullptr, 10) : 0ul;
}

}  // namespace

extern "C" {

void* aligned_alloc(size_t alignment, size_t size) { return memalign(alignment, size); }

int posix_memalign(void** out, size_t alignment, size_t size) {
  if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
  void* p = memalign(alignment, size);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}

}  // extern "C"
