// small-object-churn: a window of live small objects where every step frees a random
// one and allocates a replacement of a random size. Stands for the steady state of a
// program that keeps a working set of nodes, strings and messages: caches, parsers,
// object graphs. Stresses the allocator's small-size fast path and its reuse of freed
// slots of mixed size classes. One thread by default; with --threads each thread churns
// its own window.
#include "workloads/digest.hpp"
#include "workloads/object_bytes.hpp"
#include "workloads/phased_threads.hpp"
#include "workloads/rng.hpp"
#include "workloads/workload.hpp"

namespace allocbench {
namespace {

class SmallObjectChurn final : public ThreadedWorkload {
 public:
  explicit SmallObjectChurn(const WorkloadConfig& c)
      : ThreadedWorkload(c.threads),
        cfg_(c),
        ops_(static_cast<uint64_t>(c.params.at("ops"))),
        window_(static_cast<size_t>(c.params.at("window"))),
        max_size_(static_cast<uint32_t>(c.params.at("max_size"))),
        tail_percent_(static_cast<uint32_t>(c.params.at("tail_percent"))),
        pools_(c.threads, c.params.at("allocate") == 0),
        per_thread_(c.threads) {}

  WorkloadOutcome outcome() const override {
    Digest all;  // each thread's work is fixed: combined in thread order
    for (const auto& t : per_thread_) all.add(t.digest.value());
    return {ops_, all.value()};
  }

 private:
  struct alignas(64) PerThread {  // one cache line each: threads never share one
    std::vector<Slot> window;
    Digest digest;
  };

  // Mostly 16–256 B, a tail of tail_percent up to max_size: the shape of typical C++ heaps.
  // From the top 32 bits of one draw: 8 choose the tail (in 1/256ths), 24 the size.
  uint32_t draw_size(uint64_t bits) const {
    uint64_t size_bits = bits >> 40;
    if (((bits >> 32) & 0xff) * 100 < uint64_t{tail_percent_} << 8)
      return 257 + static_cast<uint32_t>((size_bits * (max_size_ - 256)) >> 24);
    return 16 + static_cast<uint32_t>((size_bits * 241) >> 24);
  }
  // A slot from the low 32 bits of the same draw.
  size_t draw_slot(uint64_t bits) const { return ((bits & 0xffffffff) * window_) >> 32; }

  void step(unsigned t, Phase phase) override {
    ObjectPools::Use objects(pools_, t);
    PerThread& me = per_thread_[t];
    Rng rng(mix(cfg_.seed, t, phase == Phase::setup ? 0 : 1));
    switch (phase) {
      case Phase::setup:
        me.window.resize(window_);
        for (auto& slot : me.window) {
          uint64_t r = rng.next();
          slot.size = draw_size(r);
          slot.object = make_object(slot.size, r);
        }
        break;
      case Phase::run: {
        uint64_t n = ops_ / cfg_.threads + (t < ops_ % cfg_.threads ? 1 : 0);
        Digest digest = me.digest;  // a local in the loop: no store to the shared line per step
        // One draw per step, taken a step ahead: the next victim is prefetched while this
        // step works, as an out-of-order core would if the choice did not depend on a load.
        uint64_t r = rng.next();
        for (uint64_t i = 0; i < n; ++i) {
          uint64_t next = rng.next();
          __builtin_prefetch(me.window[draw_slot(next)].object);
          Slot& slot = me.window[draw_slot(r)];
          digest.add(destroy_object(slot.object, slot.size));
          slot.size = draw_size(r);
          slot.object = make_object(slot.size, r);
          r = next;
        }
        me.digest = digest;
        break;
      }
      case Phase::teardown:
        destroy_all(me.window, me.digest);
        break;
    }
  }

  WorkloadConfig cfg_;
  uint64_t ops_;
  size_t window_;
  uint32_t max_size_;
  uint32_t tail_percent_;
  ObjectPools pools_;  // outlives the objects: destroyed after per_thread_
  std::vector<PerThread> per_thread_;
};

}  // namespace

extern const WorkloadInfo small_object_churn_workload{
    "small-object-churn",
    "a window of live small objects; each step frees a random one and allocates a new one",
    {
        {"ops", ValueType::count, 8'000'000, 1, 1'000'000'000, "free+allocate steps, over all threads"},
        {"window", ValueType::count, 20'000, 1, 10'000'000, "live objects per thread"},
        {"max_size", ValueType::bytes, 1024, 257, 1 << 20, "largest object of the size tail"},
        {"tail_percent", ValueType::count, 10, 0, 100, "share of objects drawn from 257 B to max_size"},
        allocate_param(),
    },
    1,
    WorkloadKind::standard,
    [](const WorkloadConfig& c) -> std::unique_ptr<Workload> { return std::make_unique<SmallObjectChurn>(c); },
    {{"ops", "50000"}, {"window", "2000"}},
};

}  // namespace allocbench
