// The one source compiled per worker: the names CMake gives its backend (allocbench_add_backend).
#include "worker/backend.hpp"

namespace allocbench {

std::string_view backend_name() { return ALLOCBENCH_BACKEND_NAME; }
std::string_view expected_provider() { return ALLOCBENCH_EXPECTED_PROVIDER; }

}  // namespace allocbench
