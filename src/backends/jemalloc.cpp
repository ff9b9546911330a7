// Backend `jemalloc`: FreeBSD's and Meta's allocator (arenas, thread caches, size classes).
#include "worker/identity.hpp"

#include <jemalloc/jemalloc.h>

#include <string_view>

std::string allocbench::backend_version() {
  const char* version = nullptr;
  size_t len = sizeof version;
  if (::mallctl("version", &version, &len, nullptr, 0) != 0 || !version) return "unknown";
  std::string_view v(version);  // "5.3.0-0-g54eaed1d8b56..."
  return std::string(v.substr(0, v.find('-')));
}
