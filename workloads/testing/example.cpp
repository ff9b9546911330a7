// test-stack: each thread pushes objects onto a stack and pops them again, in bursts of a
// random depth. Built only with the tests, and registered like any workload (one line in
// registry.cpp): it exists to prove that the tests pick up a workload added in one file,
// since they run every workload of the registry with its small_params, unedited.
#include "workloads/digest.hpp"
#include "workloads/object_bytes.hpp"
#include "workloads/phased_threads.hpp"
#include "workloads/rng.hpp"
#include "workloads/workload.hpp"

namespace allocbench {
namespace {

class Stack final : public ThreadedWorkload {
 public:
  explicit Stack(const WorkloadConfig& c)
      : ThreadedWorkload(c.threads),
        cfg_(c),
        bursts_(static_cast<uint64_t>(c.params.at("bursts"))),
        max_depth_(static_cast<uint64_t>(c.params.at("max_depth"))),
        size_(static_cast<size_t>(c.params.at("size"))),
        pools_(c.threads, c.params.at("allocate") == 0),
        per_thread_(c.threads) {}

  WorkloadOutcome outcome() const override {
    Digest all;
    uint64_t ops = 0;
    for (const auto& t : per_thread_) {
      all.add(t.digest.value());
      ops += t.ops;
    }
    return {ops, all.value()};
  }

 private:
  struct alignas(64) PerThread {
    std::vector<Slot> stack;
    Digest digest;
    uint64_t ops = 0;
  };

  void step(unsigned t, Phase phase) override {
    ObjectPools::Use objects(pools_, t);
    PerThread& me = per_thread_[t];
    if (phase == Phase::setup) me.stack.resize(max_depth_);  // the phase allocates objects only
    if (phase != Phase::run) return;
    Rng rng(mix(cfg_.seed, t, 1));
    for (uint64_t b = t; b < bursts_; b += cfg_.threads) {
      uint64_t depth = 1 + rng.next() % max_depth_;
      for (uint64_t i = 0; i < depth; ++i) {
        uint64_t r = rng.next();
        auto size = static_cast<uint32_t>(8 + r % size_);
        me.stack[i] = {make_object(size, r), size};
      }
      for (uint64_t i = depth; i-- > 0;) me.digest.add(destroy_object(me.stack[i].object, me.stack[i].size));
      me.ops += 2 * depth;
    }
  }

  WorkloadConfig cfg_;
  uint64_t bursts_, max_depth_;
  size_t size_;
  ObjectPools pools_;
  std::vector<PerThread> per_thread_;
};

}  // namespace

extern const WorkloadInfo test_stack_workload{
    "test-stack",
    "pushes objects onto a stack and pops them all, in bursts (a test-only example workload)",
    {
        {"bursts", ValueType::count, 20'000, 1, 1'000'000'000, "bursts, over all threads"},
        {"max_depth", ValueType::count, 64, 1, 1'000'000, "most objects on one thread's stack"},
        {"size", ValueType::bytes, 256, 1, 1 << 20, "objects are 8 B to 8 + size B"},
        allocate_param(),
    },
    1,
    WorkloadKind::example,
    [](const WorkloadConfig& c) -> std::unique_ptr<Workload> { return std::make_unique<Stack>(c); },
    {{"bursts", "3000"}, {"max_depth", "32"}},
};

}  // namespace allocbench
