// The fingerprint of the machine and build that produced a result.
#pragma once

#include "results/results.hpp"

namespace allocbench {

Environment current_environment();

}  // namespace allocbench
