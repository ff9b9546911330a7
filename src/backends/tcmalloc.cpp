// Backend `tcmalloc`: gperftools' thread-caching malloc (the minimal build, no profiler).
#include "worker/identity.hpp"

#include <gperftools/tcmalloc.h>

#include <fmt/format.h>

std::string allocbench::backend_version() {
  int major = 0, minor = 0;
  const char* patch = nullptr;
  ::tc_version(&major, &minor, &patch);
  return fmt::format("{}.{}{}", major, minor, patch ? patch : "");
}
