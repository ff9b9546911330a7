// test-slowdown: small-object churn that can be made worse on purpose, as a change to a
// program would make it. Built only with the tests; it proves that the regression gate
// catches what it should, and tells apart the two kinds of change:
// - ALLOCBENCH_TEST_SCRATCH_PERCENT=P: the same work done less carefully. In P% of the
//   steps a scratch copy of the freed object is made and dropped: more allocations, more
//   bytes, more time, and the same result, so the same checksum: a regression to judge.
// - ALLOCBENCH_TEST_EXTRA_BYTES=N: the same work holding N more bytes through the phase
//   (a buffer it never needed): a higher peak, the same checksum.
// - ALLOCBENCH_TEST_MORE_STEPS_PERCENT=P: P% more steps, which is other work: another
//   checksum, so not comparable with a baseline of the original.
#include "workloads/digest.hpp"
#include "workloads/object_bytes.hpp"
#include "workloads/rng.hpp"
#include "workloads/workload.hpp"

#include <cstdlib>
#include <vector>

namespace allocbench {
namespace {

uint64_t from_env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : 0;
}

// What a scratch copy read: kept so that the copies cannot be optimised away.
volatile uint64_t scratch_sink;

class Slowdown final : public Workload {
 public:
  explicit Slowdown(const WorkloadConfig& c)
      : seed_(c.seed),
        ops_(static_cast<uint64_t>(c.params.at("ops"))),
        steps_(ops_ + ops_ * from_env("ALLOCBENCH_TEST_MORE_STEPS_PERCENT") / 100),
        scratch_percent_(from_env("ALLOCBENCH_TEST_SCRATCH_PERCENT")),
        extra_bytes_(static_cast<size_t>(from_env("ALLOCBENCH_TEST_EXTRA_BYTES"))) {}

  void setup() override {
    Rng rng(seed_);
    for (auto& slot : window_) replace(slot, rng);
  }

  void run() override {
    Rng rng(mix(seed_, 1));
    void* extra = extra_bytes_ ? make_object(extra_bytes_, 1) : nullptr;
    uint64_t scratch = 0;
    for (uint64_t i = 0; i < steps_; ++i) {
      auto& slot = window_[rng.below(window_.size())];
      if (i % 100 < scratch_percent_) {
        void* copy = make_object(slot.size, read_object(slot.object));
        scratch += destroy_object(copy, slot.size);
      }
      digest_.add(destroy_object(slot.object, slot.size));
      replace(slot, rng);
    }
    if (extra) scratch += destroy_object(extra, extra_bytes_);
    scratch_sink = scratch;
  }

  void teardown() override { destroy_all(window_, digest_); }

  WorkloadOutcome outcome() const override { return {ops_, digest_.value()}; }

 private:

  static void replace(Slot& slot, Rng& rng) {
    slot.size = rng.between(16, 256);
    slot.object = make_object(slot.size, rng.next());
  }

  uint64_t seed_, ops_, steps_, scratch_percent_;
  size_t extra_bytes_;
  std::vector<Slot> window_ = std::vector<Slot>(1000);
  Digest digest_;
};

}  // namespace

extern const WorkloadInfo test_slowdown_workload{
    "test-slowdown",
    "small-object churn made worse on purpose through ALLOCBENCH_TEST_SCRATCH_PERCENT, _EXTRA_BYTES, _MORE_STEPS_PERCENT",
    {{"ops", ValueType::count, 1'000'000, 1, 1'000'000'000, "free+allocate steps"}},
    1,
    WorkloadKind::faulty,
    [](const WorkloadConfig& c) -> std::unique_ptr<Workload> { return std::make_unique<Slowdown>(c); },
};

}  // namespace allocbench
