#include "worker/identity.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <string_view>

namespace allocbench {

std::string malloc_provider_path() {
  void* symbol = ::dlsym(RTLD_DEFAULT, "malloc");
  Dl_info info{};
  if (!symbol || !::dladdr(symbol, &info) || !info.dli_fname) return "unknown";
  return info.dli_fname;
}

std::string malloc_provider() {
  std::string path = malloc_provider_path();
  return path.substr(path.rfind('/') + 1);
}

std::string mimalloc_version_text(int v) { return fmt::format("{}.{}.{}", v / 100, v / 10 % 10, v % 10); }

std::string jemalloc_version_text(const char* full) {
  std::string_view v(full);
  return std::string(v.substr(0, v.find('-')));
}

std::string preloaded_version() {
  if (auto mi_version = reinterpret_cast<int (*)()>(::dlsym(RTLD_DEFAULT, "mi_version")))
    return "mimalloc " + mimalloc_version_text(mi_version());
  using Mallctl = int (*)(const char*, void*, size_t*, void*, size_t);
  if (auto mallctl = reinterpret_cast<Mallctl>(::dlsym(RTLD_DEFAULT, "mallctl"))) {
    const char* version = nullptr;
    size_t len = sizeof version;
    if (mallctl("version", &version, &len, nullptr, 0) == 0 && version)
      return "jemalloc " + jemalloc_version_text(version);
  }
  if (auto tc_version = reinterpret_cast<const char* (*)(int*, int*, const char**)>(::dlsym(RTLD_DEFAULT, "tc_version")))
    return tc_version(nullptr, nullptr, nullptr);  // "gperftools 2.10"
  return "unknown";
}

}  // namespace allocbench
