// pool-contention: T threads share one bounded queue, kept half full like a pipeline's.
// Each step a thread either churns its own small window or allocates a message, hands
// it to the queue and frees the oldest message in it, usually one another thread
// allocated. Stands for producer/
// consumer pipelines, work-stealing executors and message passing between threads:
// the cross-thread free is the hard case for thread-caching allocators (remote frees,
// cache drift between threads, contention on shared arenas).
//
// Message contents come from (seed, thread, step), and every message is freed exactly
// once, so counts and the checksum do not depend on which thread frees which message:
// each thread digests what it makes and frees of its own in order, and the messages
// freed are summed, in whatever order and on whichever thread they were.
#include "common/error.hpp"
#include "workloads/barrier.hpp"
#include "workloads/bounded_queue.hpp"
#include "workloads/digest.hpp"
#include "workloads/object_bytes.hpp"
#include "workloads/phased_threads.hpp"
#include "workloads/rng.hpp"
#include "workloads/workload.hpp"

#include <thread>

namespace allocbench {
namespace {

struct Message {
  void* object = nullptr;
  uint32_t size = 0;
  uint32_t owner = 0;  // the allocating thread
};

constexpr size_t local_window = 256;

class PoolContention final : public Workload {
 public:
  explicit PoolContention(const WorkloadConfig& c)
      : cfg_(c),
        ops_(static_cast<uint64_t>(c.params.at("ops"))),
        max_size_(static_cast<uint32_t>(c.params.at("max_size"))),
        local_percent_(static_cast<uint32_t>(c.params.at("local_percent"))),
        queue_(static_cast<size_t>(c.params.at("queue_capacity"))),
        pools_(c.threads, c.params.at("allocate") == 0),
        producers_done_(c.threads),
        per_thread_(c.threads) {}

  void setup() override {
    threads_ = std::make_unique<PhasedThreads>(cfg_.threads, [this](unsigned t, Phase p) { step(t, p); });
    threads_->setup();
  }
  void run() override { threads_->run(); }
  void teardown() override { threads_->teardown(); }

  WorkloadOutcome outcome() const override {
    WorkloadOutcome o{ops_, 0, {Stat{"cross_thread_frees"}, Stat{"queue_full"}}};
    Digest all;
    uint64_t consumed = 0;
    for (const auto& t : per_thread_) {
      all.add(t.digest.value());
      consumed += t.consumed;
      o.stats[0].value += t.cross_thread_frees;
      o.stats[1].value += t.queue_full;
    }
    all.add(consumed);
    o.checksum = all.value();
    return o;
  }

 private:
  struct alignas(64) PerThread {
    std::vector<Message> window;  // thread-local churn
    Digest digest;                // of what this thread makes, and frees of its window, in order
    uint64_t consumed = 0;        // fingerprints of the messages this thread freed, summed
    int64_t cross_thread_frees = 0;
    int64_t queue_full = 0;
  };

  void consume(unsigned t, const Message& m) {
    per_thread_[t].consumed += destroy_object(m.object, m.size);
    if (m.owner != t) ++per_thread_[t].cross_thread_frees;
  }

  Message make(unsigned t, Rng& rng) {
    auto size = static_cast<uint32_t>(rng.between(16, max_size_));
    uint64_t value = rng.next();
    per_thread_[t].digest.add(value ^ size);
    return {make_object(size, value), size, t};
  }

  void step(unsigned t, Phase phase) {
    ObjectPools::Use objects(pools_, t);
    PerThread& me = per_thread_[t];
    Rng rng(mix(cfg_.seed, t, static_cast<uint64_t>(phase)));
    switch (phase) {
      case Phase::setup: {
        for (size_t i = 0; i < local_window; ++i) me.window.push_back(make(t, rng));
        size_t backlog = queue_.capacity() / 2 / cfg_.threads;
        for (size_t i = 0; i < backlog; ++i) ALLOCBENCH_CHECK(queue_.try_push(make(t, rng)));
        break;
      }
      case Phase::run: {
        uint64_t n = ops_ / cfg_.threads + (t < ops_ % cfg_.threads ? 1 : 0);
        for (uint64_t i = 0; i < n; ++i) {
          if (rng.below(100) < local_percent_) {
            Message& slot = me.window[rng.below(local_window)];
            me.digest.add(destroy_object(slot.object, slot.size));
            slot = make(t, rng);
            continue;
          }
          Message m = make(t, rng);
          while (!queue_.try_push(m)) {  // full: do a consumer's share, then retry
            ++me.queue_full;
            Message other;
            if (queue_.try_pop(other)) consume(t, other);
            else std::this_thread::yield();
          }
          Message other;
          if (queue_.try_pop(other)) consume(t, other);
        }
        // Every thread has stopped producing: what is left is drained, by all.
        producers_done_.arrive_and_wait();
        for (Message other; queue_.try_pop(other);) consume(t, other);
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
  BoundedQueue<Message> queue_;
  ObjectPools pools_;
  Barrier producers_done_;
  std::vector<PerThread> per_thread_;
  std::unique_ptr<PhasedThreads> threads_;
};

}  // namespace

extern const WorkloadInfo pool_contention_workload{
    "pool-contention",
    "threads pass messages through one bounded queue: allocated on one thread, freed on another",
    {
        {"ops", ParamType::count, 6'000'000, 1, 1'000'000'000, "steps, over all threads"},
        {"max_size", ParamType::bytes, 512, 16, 1 << 20, "largest message or local object (smallest: 16 B)"},
        {"local_percent", ParamType::count, 30, 0, 100, "share of steps that churn the thread's own window"},
        {"queue_capacity", ParamType::count, 1024, 2, 1 << 24, "queue slots (rounded up to a power of two)"},
        allocate_param(),
    },
    0,
    WorkloadKind::standard,
    [](const WorkloadConfig& c) -> std::unique_ptr<Workload> { return std::make_unique<PoolContention>(c); },
};

}  // namespace allocbench
