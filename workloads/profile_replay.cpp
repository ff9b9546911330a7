// profile:FILE: a program described by its allocation profile (trace/profile.hpp) rather
// than recorded: per size class its rates, lifetimes and the share of frees made by another
// thread. Each thread's schedule of allocations and frees is drawn in setup from the
// profile and the seed, so the phase only walks it: sizes uniform within each class,
// lifetimes from the class's histogram (trace::lifetime_in_bucket) or, without one,
// exponential of mean live × 1000 / rate operations (Little's law, as fleetbench's
// empirical driver). A remote free hands the object to the next thread, which frees it
// (ring_handoff.hpp).
//
// Each of T threads makes 1/T of the program's operations, and lifetimes count those of
// the thread that allocates (version 1: of the whole program, divided by T). The threads
// keep in step (within 2/1024 of the run), as a program's threads that run together: a
// thread that ran ahead alone would leave the others' phases and its own apart.
#include "common/error.hpp"
#include "trace/mapped_vector.hpp"
#include "trace/profile.hpp"
#include "workloads/digest.hpp"
#include "workloads/object_bytes.hpp"
#include "workloads/phased_threads.hpp"
#include "workloads/ring_handoff.hpp"
#include "workloads/rng.hpp"
#include "workloads/workload.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <deque>
#include <limits>
#include <numeric>
#include <queue>
#include <thread>

namespace allocbench {
namespace {

constexpr std::string_view prefix = "profile:";
constexpr int64_t max_ops = 1'000'000'000;

// One step of a thread's schedule: an allocation of `size` into `slot`, or (size 0) the
// free of the object in `slot`, by this thread or, marked remote, by the next.
struct Step {
  static constexpr uint32_t remote = 1u << 31;
  uint32_t slot;
  uint32_t size;
};

struct Object {
  void* p = nullptr;
  uint32_t size = 0;
  uint32_t owner = 0;
};

// A time that never comes: the free of an object the program keeps, or the next
// allocation when no later part has any.
constexpr double never = std::numeric_limits<double>::infinity();
constexpr double golden = 0.6180339887498949;  // (√5 − 1) / 2

class ProfileReplay final : public ThreadedWorkload {
 public:
  ProfileReplay(const WorkloadConfig& c, const trace::Profile& profile)
      : ThreadedWorkload(c.threads),
        cfg_(c),
        profile_(profile),
        ops_(static_cast<uint64_t>(c.params.at("ops"))),
        pools_(c.threads, c.params.at("allocate") == 0),
        handoff_(c.threads, 1024),
        per_thread_(c.threads),
        progress_(c.threads) {}

  WorkloadOutcome outcome() const override {
    WorkloadOutcome o{0, handoff_checksum(per_thread_), {Stat{"remote_frees"}, Stat{"kept_objects"}}};
    for (const auto& t : per_thread_) {
      o.ops += t.schedule.size();
      o.stats[0].value += t.remote_frees;
      o.stats[1].value += t.kept;
    }
    return o;
  }

  int64_t resident_harness_bytes() const override {
    int64_t bytes = 0;
    for (const auto& t : per_thread_)
      bytes += static_cast<int64_t>(t.schedule.capacity() * sizeof(Step) + t.slots.capacity() * sizeof(Object));
    return bytes;
  }

 private:
  void abandon() override { handoff_.abandon(); }

  static constexpr uint32_t checkpoints = 1024;  // of the run, where the threads keep in step
  static constexpr uint32_t done = UINT32_MAX;
  struct alignas(64) PerThread {
    trace::mapped_vector<Step> schedule;
    trace::mapped_vector<Object> slots;
    trace::mapped_vector<uint32_t> marks;  // marks[k]: the steps before checkpoint k + 1
    Digest digest;          // what this thread allocates and frees itself, in order
    uint64_t consumed = 0;  // fingerprints of the objects handed to it, summed
    int64_t remote_frees = 0;
    int64_t kept = 0;
  };

  // A class's lifetime weights added up, per part.
  std::vector<uint64_t> freed_weights(const trace::ProfileClass& c) const {
    std::vector<uint64_t> out;
    for (size_t d = 0; d < profile_.parts(); ++d) {
      std::span<const uint64_t> lives = c.lifetimes.of(d);
      out.push_back(std::accumulate(lives.begin(), lives.end(), uint64_t{0}));
    }
    return out;
  }

  // Of part d's dies_in, the parts the run has.
  std::span<const uint64_t> dies_within_run(const trace::ProfileClass& c, size_t d) const {
    return c.dies_in.of(d).first(std::min(c.dies_in.width, profile_.parts() - d));
  }

  // The part time `at` of `span` is in (parts(): after the run). Part d ends at ends[d] ×
  // span, computed so everywhere, so that a jump to a part's start lands in it.
  size_t part_at(double at, double span) const {
    const std::vector<double>& ends = profile_.ends;
    return static_cast<size_t>(
        std::upper_bound(ends.begin(), ends.end(), at, [span](double a, double end) { return a < end * span; }) -
        ends.begin());
  }

  // Where a draw from weights `w`, which add up to `sum`, lands.
  static size_t pick(std::span<const uint64_t> w, uint64_t sum, Rng& rng) {
    uint64_t x = rng.below(sum);
    size_t i = 0;
    while (x >= w[i]) x -= w[i++];
    return i;
  }

  // A lifetime in the operations of the thread that allocates, for an object born at
  // `clock` of `span` in part `part`: `never` for one that lives to the end; else from the
  // class's histogram of that part (version 1: in the whole program's operations);
  // without a histogram, exponential around Little's law (the whole program's). A life
  // that would end two parts on or later ends instead in a part drawn from those dies_in
  // gives two parts on or later (one that would end after the run, from any if none),
  // anywhere in it: a log bucket is too coarse to say where a long life ends, and dies_in
  // says where the program's did.
  double draw_lifetime(const trace::ProfileClass& c, const std::vector<uint64_t>& freed, size_t part, double clock,
                       double span, Rng& rng) const {
    const double threads = cfg_.threads;
    if (rng.below(1'000'000) < static_cast<uint64_t>(c.kept[part] * 10'000)) return never;
    if (freed[part] == 0) return -std::log(unit(rng)) * c.little_lifetime(profile_.ends) / threads;
    double lifetime = trace::lifetime_in_bucket(pick(c.lifetimes.of(part), freed[part], rng), unit(rng));
    if (profile_.version < 2) return lifetime / threads;
    const std::vector<double>& ends = profile_.ends;
    size_t dies = part_at(clock + lifetime, span);
    const bool after_run = dies >= ends.size();
    if (!after_run && dies < part + 2) return lifetime;
    std::span<const uint64_t> within = dies_within_run(c, part);
    auto weight_from = [&within](size_t first) {
      std::span<const uint64_t> w = within.subspan(std::min(first, within.size()));
      return std::accumulate(w.begin(), w.end(), uint64_t{0});
    };
    size_t first = 2;
    uint64_t sum = weight_from(first);
    if (sum == 0 && after_run) sum = weight_from(first = 0);  // a freed object ends in the run, where the program's did
    if (sum == 0) return lifetime;
    dies = part + first + pick(within.subspan(first), sum, rng);
    double from = std::max(clock, dies ? ends[dies - 1] * span : 0), to = ends[dies] * span;
    return from + unit(rng) * (to - from) - clock;
  }

  static double unit(Rng& rng) { return (static_cast<double>(rng.next() >> 11) + 0.5) * 0x1p-53; }  // (0, 1)

  // Thread t's steps, drawn from the profile: allocations arrive at the rates of the part
  // of the run the clock is in (a Poisson process, in the program's operations), each
  // object is freed when its life ends, and the steps are both, in the order of their
  // times, until the clock has run this thread's share of the operations. Every thread
  // covers the same span of the program, whatever its classes.
  void draw_schedule(unsigned t, PerThread& me) {
    const unsigned threads = cfg_.threads;
    const size_t parts = profile_.parts();
    std::vector<const trace::ProfileClass*> classes;
    std::vector<std::vector<double>> cumulative(parts);  // per part: the rates, per thread, of this thread's classes
    std::vector<double> total(parts);
    std::vector<std::vector<uint64_t>> freed;  // per class, per part
    for (const auto& c : profile_.classes) {
      if (c.threads <= t) continue;
      classes.push_back(&c);
      for (size_t d = 0; d < parts; ++d) cumulative[d].push_back(total[d] += c.rate[d] / c.threads);
      freed.push_back(freed_weights(c));
    }
    me.marks.clear();
    if (classes.empty()) return;
    const double span = static_cast<double>(ops_) / threads;  // this thread's operations of the program
    me.schedule.reserve(static_cast<size_t>(span) + 1);

    struct Due {
      double at;
      uint32_t slot;  // with Step::remote
      bool operator>(const Due& o) const { return at > o.at; }
    };
    std::priority_queue<Due, std::vector<Due>, std::greater<>> due;
    std::vector<uint32_t> free_slots;
    uint32_t slots = 0;
    Rng rng(mix(cfg_.seed, t, 0x9f));
    const std::vector<double>& ends = profile_.ends;
    double weyl = unit(rng);  // where the sequence of classes starts
    double clock = 0, next = -1;  // next: the time of the next allocation, or of the next part that has any
    bool allocates = false;
    auto mark = [&me, span](double at) {  // the checkpoints the clock has passed, at the steps so far
      while (me.marks.size() < checkpoints && at >= static_cast<double>(me.marks.size() + 1) * span / checkpoints)
        me.marks.push_back(static_cast<uint32_t>(me.schedule.size()));
    };
    while (clock < span) {
      if (next < 0) {
        size_t part = std::min(part_at(clock, span), parts - 1);
        double rate = std::min(1.0, total[part] * threads / 1000);  // allocations per operation, this thread's share
        allocates = rate > 0;
        if (allocates) {
          next = clock - std::log(unit(rng)) / rate;
          if (next >= ends[part] * span) {  // not in this part: the next one's rate decides, from its start
            next = ends[part] * span;
            allocates = false;
          }
        } else {
          size_t later = part + 1;
          while (later < parts && total[later] <= 0) ++later;
          next = later < parts ? ends[later - 1] * span : never;
        }
      }
      if (!due.empty() && due.top().at <= std::min(next, span)) {
        Due d = due.top();
        due.pop();
        clock = std::max(clock, d.at);
        mark(clock);
        me.schedule.push_back({d.slot, 0});
        free_slots.push_back(d.slot & ~Step::remote);
        continue;
      }
      clock = next;
      next = -1;
      mark(std::min(clock, span));
      if (!allocates || clock >= span) continue;
      size_t part = std::min(part_at(clock, span), parts - 1);
      const auto& sums = cumulative[part];
      // The class: a golden-ratio (Weyl) sequence over the rates rather than independent
      // draws, so that every class is made as often as its rate says to within a few,
      // however rare: two 80 KB buffers drawn as a Poisson count of mean 2 can be five.
      weyl = weyl + golden < 1 ? weyl + golden : weyl + golden - 1;
      double x = weyl * total[part];
      size_t i = std::min<size_t>(std::upper_bound(sums.begin(), sums.end(), x) - sums.begin(), classes.size() - 1);
      const trace::ProfileClass& c = *classes[i];
      auto size = static_cast<uint32_t>(rng.between(c.size_min, c.size_max));
      uint32_t slot = slots;
      if (free_slots.empty()) {
        ++slots;
      } else {
        slot = free_slots.back();
        free_slots.pop_back();
      }
      if (slot >= Step::remote) throw run_error("profile: more than 2^31 objects live at once on one thread");
      me.schedule.push_back({slot, size});
      double lifetime = draw_lifetime(c, freed[i], part, clock, span, rng);
      if (lifetime >= span) continue;  // outlives the run: freed after the phase, like a kept one
      bool remote = rng.below(1'000'000) < static_cast<uint64_t>(c.remote_percent * 10'000);
      due.push({clock + std::max(1.0 / threads, lifetime), slot | (remote ? Step::remote : 0)});
    }
    me.slots.resize(slots);
    if (me.schedule.size() > done) throw run_error("profile: more than 2^32 steps on one thread");
    while (me.marks.size() < checkpoints) me.marks.push_back(static_cast<uint32_t>(me.schedule.size()));
  }

  // Thread t reached checkpoint k: it waits until every other thread is within one of it,
  // freeing what is handed to it meanwhile (a thread waiting to hand over is never stuck).
  template <typename Take>
  void keep_in_step(unsigned t, uint32_t k, Take& take) {
    progress_[t].store(k, std::memory_order_release);
    for (unsigned u = 0; u < progress_.size(); ++u)
      while (uint64_t{progress_[u].load(std::memory_order_acquire)} + 1 < k && !handoff_.abandoned())
        if (!handoff_.receive(t, take)) std::this_thread::yield();
  }

  static void* make(uint32_t size, uint64_t value) {
    void* p = obtain(size);
    touch(p, size, value);
    return p;
  }

  static uint64_t destroy(const Object& o) {
    uint64_t value = read_back(o.p, o.size);
    release(o.p, o.size);
    return value ^ o.size;
  }

  void take(unsigned t, const Object& o) {
    per_thread_[t].consumed += destroy(o) ^ o.owner;
  }

  void walk(unsigned t, PerThread& me) {
    auto take_one = [this, t](const Object& o) { take(t, o); };
    Digest digest = me.digest;
    uint64_t made = 0;
    uint32_t checkpoint = 0;
    for (size_t i = 0; i < me.schedule.size(); ++i) {
      while (checkpoint < me.marks.size() && me.marks[checkpoint] == i) keep_in_step(t, ++checkpoint, take_one);
      const Step& s = me.schedule[i];
      while (handoff_.receive(t, take_one)) {  // everything handed over so far: freed now, not queued
      }
      if (s.size) {
        uint64_t value = (uint64_t{t} << 48) ^ made++;
        me.slots[s.slot] = {make(s.size, value), s.size, t};
        digest.add(value ^ s.size);
      } else if (s.slot & Step::remote) {
        Object& o = me.slots[s.slot & ~Step::remote];
        handoff_.send(t, o, take_one);
        ++me.remote_frees;
        o = {};
      } else {
        Object& o = me.slots[s.slot];
        digest.add(destroy(o));
        o = {};
      }
    }
    me.digest = digest;
    progress_[t].store(done, std::memory_order_release);
    handoff_.finish(t, take_one);
  }

  void step(unsigned t, Phase phase) override {
    ObjectPools::Use objects(pools_, t);
    PerThread& me = per_thread_[t];
    switch (phase) {
      case Phase::setup:
        progress_[t].store(0, std::memory_order_relaxed);
        handoff_.start(t);
        draw_schedule(t, me);
        break;
      case Phase::run:
        walk(t, me);
        break;
      case Phase::teardown:  // what the program kept, and what had not come due
        for (Object& o : me.slots)
          if (o.p) {
            me.digest.add(destroy(o));
            ++me.kept;
            o = {};
          }
        break;
    }
  }

  WorkloadConfig cfg_;
  const trace::Profile& profile_;
  uint64_t ops_;
  ObjectPools pools_;
  RingHandoff<Object> handoff_;
  std::vector<PerThread> per_thread_;
  std::vector<std::atomic<uint32_t>> progress_;  // the checkpoint each thread has reached; done at its end
};

}  // namespace

const WorkloadInfo& profile_workload(std::string_view name) {
  // Made on first use, one per profile file, and kept: the plan and the worker refer to it.
  static std::deque<std::pair<std::string, trace::Profile>> profiles;
  static std::deque<WorkloadInfo> known;
  for (const auto& info : known)
    if (info.name == name) return info;
  if (name.size() == prefix.size())
    throw usage_error("--workload '{}': expected profile:FILE, a CSV file written by trace-info --profile", name);
  auto& [stored, profile] =
      profiles.emplace_back(std::string(name), trace::read_profile(std::string(name.substr(prefix.size()))));
  known.push_back({stored,
                   "allocates as a program's profile describes: sizes, rates, lifetimes, threads",
                   {{"ops", ValueType::count, profile.operations ? std::min<int64_t>(static_cast<int64_t>(profile.operations), max_ops) : 2'000'000,
                     1, max_ops, "allocations and frees, over all threads (default: the program's)"},
                    allocate_param()},
                   profile.threads(),
                   WorkloadKind::profile,
                   nullptr});
  known.back().make = [](const WorkloadConfig& c) -> std::unique_ptr<Workload> {
    for (const auto& [n, p] : profiles)
      if (n == c.name) return std::make_unique<ProfileReplay>(c, p);
    ALLOCBENCH_CHECK(false);
    return nullptr;
  };
  return known.back();
}

}  // namespace allocbench
