// pool-contention: T threads in a ring, each passing messages to the next through a
// single-producer ring kept half full. Each step a thread either churns its own small
// window or allocates a message, hands it to the next thread and frees the oldest message
// the previous thread handed it. Stands for peers that pass messages on: actors, pipelines
// whose stages both produce and consume, executors handing tasks between workers. Every
// message is freed by a thread other than the one that allocated it, moments after, while
// every thread allocates and frees at the same rate. One ring per pair of threads, not one
// shared queue: a message costs a slot's store rather than a contended read-modify-write,
// so the allocators' cross-thread frees are what is timed. (A split into threads that only
// allocate and threads that only free, as in xmalloc-test, ranks allocators otherwise: see
// the README.)
//
// Message contents come from (seed, thread, step), and every message is freed exactly
// once, so counts and the checksum do not depend on the interleaving: each thread digests
// what it makes and frees of its own in order, and the messages freed are summed, in
// whatever order they were.
#include "common/error.hpp"
#include "workloads/digest.hpp"
#include "workloads/object_bytes.hpp"
#include "workloads/phased_threads.hpp"
#include "workloads/rng.hpp"
#include "workloads/ring_handoff.hpp"
#include "workloads/workload.hpp"

namespace allocbench {
namespace {

struct Message {
  void* object = nullptr;
  uint32_t size = 0;
  uint32_t owner = 0;  // the allocating thread
};

constexpr size_t local_window = 256;

class PoolContention final : public ThreadedWorkload {
 public:
  explicit PoolContention(const WorkloadConfig& c)
      : ThreadedWorkload(c.threads),
        cfg_(c),
        ops_(static_cast<uint64_t>(c.params.at("ops"))),
        max_size_(static_cast<uint32_t>(c.params.at("max_size"))),
        local_percent_(static_cast<uint32_t>(c.params.at("local_percent"))),
        pools_(c.threads, c.params.at("allocate") == 0),
        handoff_(c.threads, static_cast<size_t>(c.params.at("queue_capacity"))),
        per_thread_(c.threads) {}

  WorkloadOutcome outcome() const override {
    WorkloadOutcome o{ops_, handoff_checksum(per_thread_), {Stat{"cross_thread_frees"}, Stat{"queue_full"}}};
    for (const auto& t : per_thread_) {
      o.stats[0].value += t.cross_thread_frees;
      o.stats[1].value += t.queue_full;
    }
    return o;
  }

 private:
  void abandon() override { handoff_.abandon(); }
  struct alignas(64) PerThread {
    std::vector<Message> window;  // thread-local churn
    Digest digest;                // of what this thread makes, and frees of its window, in order
    uint64_t consumed = 0;        // fingerprints of the messages this thread freed, summed
    int64_t cross_thread_frees = 0;
    int64_t queue_full = 0;
  };

  void consume(unsigned t, const Message& m) {
    per_thread_[t].consumed += destroy_object(m.object, m.size);
    per_thread_[t].cross_thread_frees += m.owner != t;
  }

  // One draw makes a message: its top 24 bits the size, the whole draw its contents.
  Message make(unsigned t, uint64_t r) {
    auto size = 16 + static_cast<uint32_t>(((r >> 40) * (max_size_ - 15)) >> 24);
    per_thread_[t].digest.add(r ^ size);
    return {make_object(size, r), size, t};
  }

  void step(unsigned t, Phase phase) override {
    ObjectPools::Use objects(pools_, t);
    PerThread& me = per_thread_[t];
    auto take = [this, t](const Message& m) { consume(t, m); };
    Rng rng(mix(cfg_.seed, t, static_cast<uint64_t>(phase)));
    switch (phase) {
      case Phase::setup:
        handoff_.start(t);
        for (size_t i = 0; i < local_window; ++i) me.window.push_back(make(t, rng.next()));
        for (size_t i = 0; i < handoff_.out(t).capacity() / 2; ++i)
          ALLOCBENCH_CHECK(handoff_.out(t).try_push(make(t, rng.next())));
        break;
      case Phase::run: {
        uint64_t n = ops_ / cfg_.threads + (t < ops_ % cfg_.threads ? 1 : 0);
        for (uint64_t i = 0; i < n; ++i) {
          uint64_t r = rng.next();  // low 8 bits: local or not; next 8: the slot; top 24: the size
          if ((r & 0xff) * 100 < uint64_t{local_percent_} << 8) {
            Message& slot = me.window[(r >> 8) & (local_window - 1)];
            me.digest.add(destroy_object(slot.object, slot.size));
            slot = make(t, r);
            continue;
          }
          me.queue_full += handoff_.send(t, make(t, r), take);
          handoff_.receive(t, take);
        }
        handoff_.finish(t, take);
        break;
      }
      case Phase::teardown:
        destroy_all(me.window, me.digest);
        break;
    }
  }

  WorkloadConfig cfg_;
  uint64_t ops_;
  uint32_t max_size_;
  uint32_t local_percent_;
  ObjectPools pools_;
  RingHandoff<Message> handoff_;
  std::vector<PerThread> per_thread_;
};

}  // namespace

extern const WorkloadInfo pool_contention_workload{
    "pool-contention",
    "threads in a ring pass messages to the next: allocated on one thread, freed on another",
    {
        {"ops", ValueType::count, 6'000'000, 1, 1'000'000'000, "steps, over all threads"},
        {"max_size", ValueType::bytes, 512, 16, 1 << 20, "largest message or local object (smallest: 16 B)"},
        {"local_percent", ValueType::count, 30, 0, 100, "share of steps that churn the thread's own window"},
        {"queue_capacity", ValueType::count, 512, 2, 1 << 24,
         "slots of each thread's ring to the next (rounded up to a power of two), kept half full"},
        allocate_param(),
    },
    0,
    WorkloadKind::standard,
    [](const WorkloadConfig& c) -> std::unique_ptr<Workload> { return std::make_unique<PoolContention>(c); },
    {{"ops", "60000"}, {"queue_capacity", "64"}},
};

}  // namespace allocbench
