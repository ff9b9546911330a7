// Backend `system`: glibc's malloc, the default of every Linux program.
#include "worker/identity.hpp"

#include <gnu/libc-version.h>

std::string allocbench::backend_version() { return ::gnu_get_libc_version(); }
