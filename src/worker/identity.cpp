#include "worker/identity.hpp"

#include <dlfcn.h>

#include <cstring>

namespace allocbench {

std::string malloc_provider() {
  void* symbol = ::dlsym(RTLD_DEFAULT, "malloc");
  Dl_info info{};
  if (!symbol || !::dladdr(symbol, &info) || !info.dli_fname) return "unknown";
  const char* slash = std::strrchr(info.dli_fname, '/');
  return slash ? slash + 1 : info.dli_fname;
}

}  // namespace allocbench
