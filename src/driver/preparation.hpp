// The step between a plan and its run: what needs processes and files. Each backend's
// settings are checked by its worker and made canonical, traces are prepared for replay,
// the backends of cmd: workloads are asked which library to preload, and valgrind is
// found and tried on every backend for --measure instructions. Errors are usage errors
// (exit 2) or run errors (exit 3), all before the first repetition.
#pragma once

#include "common/scratch_directory.hpp"
#include "driver/plan.hpp"

#include <optional>

namespace allocbench {

// Prepares `plan` when made, and keeps what the prepared plan refers to until the run
// is over: with `no_cache` (--no-cache), the directory of its traces' prepared replays,
// removed with it, instead of the replay cache.
class Preparation {
 public:
  Preparation(Plan& plan, bool no_cache);

 private:
  std::optional<ScratchDirectory> uncached_;
};

}  // namespace allocbench
