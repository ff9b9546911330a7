// empty: does no work. Its figures are the harness's own cost per repetition: process
// start, allocator initialisation, measurement and the report.
#include "workloads/workload.hpp"

namespace allocbench {
namespace {

class Empty final : public Workload {
 public:
  void run() override {}
  WorkloadOutcome outcome() const override { return {}; }
};

}  // namespace

extern const WorkloadInfo empty_workload{
    "empty",
    "no work at all: measures the harness's own per-repetition overhead",
    {},
    1,
    WorkloadKind::calibration,
    [](const WorkloadConfig&) -> std::unique_ptr<Workload> { return std::make_unique<Empty>(); },
};

}  // namespace allocbench
