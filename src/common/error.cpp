#include "common/error.hpp"

#include <cstdio>
#include <cstdlib>

namespace allocbench {

void check_failed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "allocbench: internal error: check '%s' failed at %s:%d\n", expr, file, line);
  std::abort();
}

}  // namespace allocbench
