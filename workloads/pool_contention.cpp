// pool-contention: T threads in a ring, each passing messages to the next through a
// single-producer ring kept half full like a pipeline's. Each step a thread either churns
// its own small window or allocates a message, hands it to the next thread and frees the
// oldest message the previous thread handed it. Stands for producer/consumer pipelines,
// executors and message passing between threads: every message is freed by a thread
// other than the one that allocated it, the hard case for thread-caching allocators
// (remote frees, cache drift between threads, contention on shared arenas). One ring per
// pair of threads, not one shared queue: a message costs a slot's store rather than a
// contended read-modify-write, so the allocators' cross-thread frees are what is timed.
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
#include "workloads/spsc_ring.hpp"
#include "workloads/workload.hpp"

#include <atomic>
#include <deque>
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
        pools_(c.threads, c.params.at("allocate") == 0),
        producing_(c.threads),
        per_thread_(c.threads) {
    for (unsigned t = 0; t < c.threads; ++t) rings_.emplace_back(static_cast<size_t>(c.params.at("queue_capacity")));
  }

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
    per_thread_[t].cross_thread_frees += m.owner != t;
  }

  // One draw makes a message: its top 24 bits the size, the whole draw its contents.
  Message make(unsigned t, uint64_t r) {
    auto size = 16 + static_cast<uint32_t>(((r >> 40) * (max_size_ - 15)) >> 24);
    per_thread_[t].digest.add(r ^ size);
    return {make_object(size, r), size, t};
  }

  void step(unsigned t, Phase phase) {
    ObjectPools::Use objects(pools_, t);
    PerThread& me = per_thread_[t];
    SpscRing<Message>& out = rings_[t];
    SpscRing<Message>& in = rings_[(t + cfg_.threads - 1) % cfg_.threads];
    Rng rng(mix(cfg_.seed, t, static_cast<uint64_t>(phase)));
    switch (phase) {
      case Phase::setup:
        producing_[t].store(true, std::memory_order_relaxed);
        for (size_t i = 0; i < local_window; ++i) me.window.push_back(make(t, rng.next()));
        for (size_t i = 0; i < out.capacity() / 2; ++i) ALLOCBENCH_CHECK(out.try_push(make(t, rng.next())));
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
          Message m = make(t, r);
          while (!out.try_push(m)) {  // full: do a consumer's share, then retry
            ++me.queue_full;
            Message other;
            if (in.try_pop(other)) consume(t, other);
            else std::this_thread::yield();
          }
          Message other;
          if (in.try_pop(other)) consume(t, other);
        }
        // Done: the previous thread may still produce (its steps are not all messages), so
        // its ring is drained until it is done too, then to the end.
        producing_[t].store(false, std::memory_order_release);
        const auto& previous = producing_[(t + cfg_.threads - 1) % cfg_.threads];
        for (Message other; previous.load(std::memory_order_acquire);)
          if (in.try_pop(other)) consume(t, other);
          else std::this_thread::yield();
        for (Message other; in.try_pop(other);) consume(t, other);
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
  std::deque<SpscRing<Message>> rings_;  // rings_[t]: from thread t to the next
  std::vector<std::atomic<bool>> producing_;  // until the thread has made its last message
  std::vector<PerThread> per_thread_;
  std::unique_ptr<PhasedThreads> threads_;
};

}  // namespace

extern const WorkloadInfo pool_contention_workload{
    "pool-contention",
    "threads in a ring pass messages to the next: allocated on one thread, freed on another",
    {
        {"ops", ParamType::count, 6'000'000, 1, 1'000'000'000, "steps, over all threads"},
        {"max_size", ParamType::bytes, 512, 16, 1 << 20, "largest message or local object (smallest: 16 B)"},
        {"local_percent", ParamType::count, 30, 0, 100, "share of steps that churn the thread's own window"},
        {"queue_capacity", ParamType::count, 512, 2, 1 << 24,
         "slots of each thread's ring to the next (rounded up to a power of two), kept half full"},
        allocate_param(),
    },
    0,
    WorkloadKind::standard,
    [](const WorkloadConfig& c) -> std::unique_ptr<Workload> { return std::make_unique<PoolContention>(c); },
};

}  // namespace allocbench
