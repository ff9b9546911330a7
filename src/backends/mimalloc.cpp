// Backend `mimalloc`: Microsoft's mimalloc (free-list sharding, per-page free lists).
#include "worker/identity.hpp"

#include <mimalloc.h>

#include <fmt/format.h>

std::string allocbench::backend_version() {
  int v = ::mi_version();  // e.g. 209 for 2.0.9
  return fmt::format("{}.{}.{}", v / 100, v / 10 % 10, v % 10);
}
