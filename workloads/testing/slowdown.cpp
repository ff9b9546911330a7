// test-slowdown: small-object churn that can be made worse on purpose, as a code change
// would make it: ALLOCBENCH_TEST_SLOWDOWN_PERCENT=10 does 10% more of the same work under
// the same parameters (so more time and more allocations), and
// ALLOCBENCH_TEST_EXTRA_BYTES=N holds N more bytes live through the phase. Built only with
// the tests; it proves that the regression gate catches what it should, and measures how
// often it does.
#include "workloads/object_bytes.hpp"
#include "workloads/rng.hpp"
#include "workloads/workload.hpp"

#include <cstdlib>
#include <vector>

namespace allocbench {
namespace {

int64_t from_env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::atoll(v) : 0;
}

class Slowdown final : public Workload {
 public:
  explicit Slowdown(const WorkloadConfig& c)
      : seed_(c.seed),
        ops_(static_cast<uint64_t>(c.params.at("ops"))),
        steps_(ops_ + ops_ * static_cast<uint64_t>(from_env("ALLOCBENCH_TEST_SLOWDOWN_PERCENT")) / 100),
        extra_bytes_(static_cast<size_t>(from_env("ALLOCBENCH_TEST_EXTRA_BYTES"))) {}

  void setup() override {
    Rng rng(seed_);
    for (auto& slot : window_) replace(slot, rng);
  }

  void run() override {
    Rng rng(mix(seed_, 1));
    void* extra = extra_bytes_ ? make_object(extra_bytes_, 1) : nullptr;
    for (uint64_t i = 0; i < steps_; ++i) {
      auto& slot = window_[rng.below(window_.size())];
      checksum_ += destroy_object(slot.object, slot.size);
      replace(slot, rng);
    }
    if (extra) checksum_ += destroy_object(extra, extra_bytes_);
  }

  void teardown() override {
    checksum_ += destroy_all(window_);
  }

  WorkloadOutcome outcome() const override { return {ops_, checksum_}; }

 private:
  struct Slot {
    void* object;
    size_t size;
  };

  static void replace(Slot& slot, Rng& rng) {
    slot.size = rng.between(16, 256);
    slot.object = make_object(slot.size, rng.next());
  }

  uint64_t seed_, ops_, steps_;
  size_t extra_bytes_;
  std::vector<Slot> window_ = std::vector<Slot>(1000);
  uint64_t checksum_ = 0;
};

}  // namespace

extern const WorkloadInfo test_slowdown_workload{
    "test-slowdown",
    "small-object churn made worse on purpose through ALLOCBENCH_TEST_SLOWDOWN_PERCENT / _EXTRA_BYTES",
    {{"ops", ParamType::count, 1'000'000, 1, 1'000'000'000, "free+allocate steps"}},
    1,
    WorkloadKind::test,
    [](const WorkloadConfig& c) -> std::unique_ptr<Workload> { return std::make_unique<Slowdown>(c); },
};

}  // namespace allocbench
