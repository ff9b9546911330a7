// fragmentation: a service's live set over a long run, whose object sizes drift. Sizes are
// log-normal; over `phases` phases their median moves from median_start to median_end (a
// service whose payloads grow). Each phase opens with a burst that allocates burst_percent
// of the live set more and then frees nine in ten of what it allocated, the survivors
// replacing older objects; then every step replaces a random live object with one of the
// phase's sizes. At the end the live set shrinks to shrink_percent. What it shows: how much
// memory each allocator holds per live byte as the sizes move on (survivors of old size
// classes pin their pages), and what it keeps after the live set shrinks.
//
// Its own figures, read at each phase boundary: the memory the process holds (RSS less
// LazyFree, from smaps_rollup) above what it held before setup, over the live bytes
// (`rss_per_live_*_pct`), and after the shrink; the allocator's resident over allocated
// where it says both; each boundary is marked on the timeline. With
// threads, each thread runs its own live set and the first thread reads the figures at
// its own boundaries.
#include "common/resident_memory.hpp"
#include "workloads/digest.hpp"
#include "workloads/object_bytes.hpp"
#include "workloads/phased_threads.hpp"
#include "workloads/rng.hpp"
#include "workloads/workload.hpp"

#include <algorithm>

namespace allocbench {
namespace {

int64_t held_bytes() {  // -1 where smaps_rollup cannot be read
  std::optional<Footprint> f = read_footprint();
  return f ? f->held() : -1;
}

// a in percent of b; -1 (left out) where either is unknown or b is 0.
int64_t percent(int64_t a, int64_t b) { return a >= 0 && b > 0 ? a * 100 / b : -1; }

// A figure of the workload's own, left out where it is not known.
Stat known(std::string_view name, int64_t value) { return {value >= 0 ? name : "", value}; }

// Sizes in eighths of a doubling: size(L) = 2^(L/8). Integers only, so that every machine
// draws the same sizes (libm's exp may differ in the last bit).
constexpr uint32_t eighth_mantissa[8] = {1024, 1117, 1218, 1328, 1448, 1579, 1722, 1878};  // 1024 * 2^(k/8)
constexpr uint32_t size_of_eighths(int64_t l) {
  return static_cast<uint32_t>((uint64_t{eighth_mantissa[l & 7]} << (l >> 3)) >> 10);
}
constexpr int64_t eighths_of(uint64_t size) {  // the L with size_of_eighths(L) <= size, largest
  int64_t l = 0;
  while (size_of_eighths(l + 1) <= size) ++l;
  return l;
}

class Fragmentation final : public ThreadedWorkload {
 public:
  explicit Fragmentation(const WorkloadConfig& c)
      : ThreadedWorkload(c.threads),
        cfg_(c),
        ops_(static_cast<uint64_t>(c.params.at("ops"))),
        live_(static_cast<size_t>(c.params.at("live"))),
        phases_(static_cast<unsigned>(c.params.at("phases"))),
        median_start_(eighths_of(static_cast<uint64_t>(c.params.at("median_start")))),
        median_end_(eighths_of(static_cast<uint64_t>(c.params.at("median_end")))),
        spread_(c.params.at("size_spread")),
        max_size_(static_cast<uint32_t>(c.params.at("max_size"))),
        burst_percent_(static_cast<uint64_t>(c.params.at("burst_percent"))),
        shrink_percent_(static_cast<uint64_t>(c.params.at("shrink_percent"))),
        pools_(c.threads, c.params.at("allocate") == 0),
        per_thread_(c.threads),
        held_before_(held_bytes()) {}

  WorkloadOutcome outcome() const override {
    Digest all;
    for (const auto& t : per_thread_) all.add(t.digest.value());
    return {ops_,
            all.value(),
            {{known("rss_per_live_first_boundary_pct", figures_.first_pct),
              known("rss_per_live_last_boundary_pct", figures_.last_pct),
              known("rss_per_live_worst_boundary_pct", figures_.worst_pct),
              known("rss_per_live_after_shrink_pct", figures_.after_shrink_pct),  // none once nothing is live
              known("rss_after_shrink_bytes", figures_.after_shrink_rss),
              known("live_after_shrink_bytes", figures_.after_shrink_live),
              // Where the allocator says what it holds and has handed out (not mimalloc).
              known("allocator_res_per_alloc_last_boundary_pct", figures_.res_per_alloc_last_pct),
              known("allocator_res_per_alloc_after_shrink_pct", figures_.res_per_alloc_after_shrink_pct)}}};
  }

 private:
  struct alignas(64) PerThread {
    std::vector<Slot> live;
    std::vector<Slot> fresh;  // a burst's objects; its capacity taken in setup
    int64_t live_bytes = 0;
    Digest digest;
  };
  struct Figures {  // read by the first thread
    int64_t first_pct = -1, last_pct = -1, worst_pct = -1, after_shrink_pct = -1, after_shrink_rss = -1,
            after_shrink_live = -1, res_per_alloc_last_pct = -1, res_per_alloc_after_shrink_pct = -1;  // -1: unknown
  };
  struct Reading {  // at a boundary: held above the start, and the allocator's res/alloc
    int64_t held = -1, res_per_alloc_pct = -1;
  };

  // The phase's median, moving in even steps (in eighths of a doubling) from start to end.
  int64_t median_of(unsigned phase) const {
    if (phases_ == 1) return median_start_;
    return median_start_ + (median_end_ - median_start_) * static_cast<int64_t>(phase) / (phases_ - 1);
  }
  // Log-normal: log2(size) is normal with sd size_spread/8. The normal is the sum of four
  // 16-bit uniforms (Irwin–Hall: sd 1/sqrt(3) of its range), hence sqrt(3) ~ 1774/1024.
  uint32_t draw_size(uint64_t bits, int64_t median) const {
    int64_t sum = 0;
    for (int i = 0; i < 4; ++i) sum += static_cast<int64_t>((bits >> (16 * i)) & 0xffff);
    int64_t z_1024 = ((sum - 2 * 65536) * 1774) >> 16;  // a standard normal, times 1024
    int64_t l = median + (spread_ * z_1024) / 1024;
    return std::clamp<uint32_t>(size_of_eighths(std::clamp<int64_t>(l, 0, 8 * 31)), 16, max_size_);
  }

  void replace(PerThread& me, Slot& slot, uint32_t size, uint64_t value) {
    me.digest.add(destroy_object(slot.object, slot.size));
    me.live_bytes += static_cast<int64_t>(size) - slot.size;
    slot = {make_object(size, value), size};
  }

  // A boundary: marked on the timeline by the worker, which reads what is held (here
  // where no one listens: unit tests).
  Reading boundary() const {
    BoundaryView view = cfg_.at_boundary ? cfg_.at_boundary() : BoundaryView{held_bytes(), 0, 0};
    Reading r;
    if (view.held >= 0 && held_before_ >= 0) r.held = std::max<int64_t>(0, view.held - held_before_);
    if (view.resident > 0) r.res_per_alloc_pct = percent(view.resident, view.allocated);
    return r;
  }

  void run_phases(unsigned t, PerThread& me, Rng& rng) {
    uint64_t steps = ops_ / cfg_.threads / phases_;
    size_t burst = me.live.size() * burst_percent_ / 100;
    std::vector<Slot>& fresh = me.fresh;
    for (unsigned phase = 0; phase < phases_; ++phase) {
      int64_t median = median_of(phase);
      // The burst: allocate, then free nine in ten; each survivor replaces an older object.
      for (size_t i = 0; i < burst; ++i) {
        uint64_t r = rng.next();
        uint32_t size = draw_size(r, median);
        fresh.push_back({make_object(size, r), size});
      }
      for (size_t i = 0; i < fresh.size(); ++i) {
        if (i % 10 == 9) {
          Slot& old = me.live[rng.below(me.live.size())];
          me.digest.add(destroy_object(old.object, old.size));
          me.live_bytes += static_cast<int64_t>(fresh[i].size) - old.size;
          old = fresh[i];
        } else {
          me.digest.add(destroy_object(fresh[i].object, fresh[i].size));
        }
      }
      fresh.clear();
      for (uint64_t i = 0; i < steps; ++i) {
        uint64_t r = rng.next();
        replace(me, me.live[rng.below(me.live.size())], draw_size(r, median), r);
      }
      if (t == 0) {
        Reading r = boundary();
        int64_t pct = percent(r.held, me.live_bytes * cfg_.threads);
        if (phase == 0) figures_.first_pct = pct;
        figures_.last_pct = pct;
        figures_.worst_pct = std::max(figures_.worst_pct, pct);
        figures_.res_per_alloc_last_pct = r.res_per_alloc_pct;
      }
    }
    // The live set shrinks: a random shrink_percent stays.
    size_t keep = me.live.size() * shrink_percent_ / 100;
    for (size_t i = me.live.size(); i > keep; --i) {
      std::swap(me.live[i - 1], me.live[rng.below(i)]);
      me.digest.add(destroy_object(me.live[i - 1].object, me.live[i - 1].size));
      me.live_bytes -= me.live[i - 1].size;
    }
    me.live.resize(keep);
    if (t == 0) {
      Reading r = boundary();
      figures_.after_shrink_live = me.live_bytes * cfg_.threads;
      figures_.after_shrink_pct = percent(r.held, figures_.after_shrink_live);
      figures_.after_shrink_rss = r.held;
      figures_.res_per_alloc_after_shrink_pct = r.res_per_alloc_pct;
    }
  }

  void step(unsigned t, Phase phase) override {
    ObjectPools::Use objects(pools_, t);
    PerThread& me = per_thread_[t];
    Rng rng(mix(cfg_.seed, t, phase == Phase::setup ? 0 : 1));
    switch (phase) {
      case Phase::setup:
        me.live.resize(live_);
        me.fresh.reserve(live_ * burst_percent_ / 100);
        for (auto& slot : me.live) {
          uint64_t r = rng.next();
          slot.size = draw_size(r, median_start_);
          slot.object = make_object(slot.size, r);
          me.live_bytes += slot.size;
        }
        break;
      case Phase::run:
        run_phases(t, me, rng);
        break;
      case Phase::teardown:
        destroy_all(me.live, me.digest);
        me.fresh = {};
        break;
    }
  }

  WorkloadConfig cfg_;
  uint64_t ops_;
  size_t live_;
  unsigned phases_;
  int64_t median_start_, median_end_, spread_;
  uint32_t max_size_;
  uint64_t burst_percent_, shrink_percent_;
  ObjectPools pools_;  // outlives the objects: destroyed after per_thread_
  std::vector<PerThread> per_thread_;
  int64_t held_before_;
  Figures figures_;
};

}  // namespace

extern const WorkloadInfo fragmentation_workload{
    "fragmentation",
    "a live set whose log-normal sizes drift over phases, with bursts, then shrinks: memory held per live byte",
    {
        {"ops", ValueType::count, 2'000'000, 1, 1'000'000'000, "replace steps, over all threads and phases"},
        {"live", ValueType::count, 20'000, 10, 10'000'000, "live objects per thread"},
        {"phases", ValueType::count, 4, 1, 1000, "phases the size median moves through"},
        {"median_start", ValueType::bytes, 64, 16, 1 << 20, "median size of the first phase"},
        {"median_end", ValueType::bytes, 1024, 16, 1 << 20, "median size of the last phase"},
        {"size_spread", ValueType::count, 8, 0, 64, "standard deviation of log2(size), in eighths"},
        {"max_size", ValueType::bytes, 8 << 10, 16, 16 << 20, "sizes are clamped to 16 B..max_size"},
        {"burst_percent", ValueType::count, 100, 0, 1000, "each phase's burst, in percent of the live set"},
        {"shrink_percent", ValueType::count, 10, 0, 100, "share of the live set kept at the end"},
        allocate_param(),
    },
    1,
    WorkloadKind::standard,
    [](const WorkloadConfig& c) -> std::unique_ptr<Workload> { return std::make_unique<Fragmentation>(c); },
    {{"ops", "40000"}, {"live", "2000"}},
};

}  // namespace allocbench
