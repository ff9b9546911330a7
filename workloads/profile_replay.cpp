// profile:FILE: a program described by its allocation profile (trace/profile.hpp) rather
// than recorded: per size class its rates, lifetimes and the share of frees made by another
// thread. Each thread's schedule of allocations and frees is drawn in setup from the
// profile and the seed, so the phase only walks it: sizes uniform within each class,
// lifetimes from the class's histogram (trace::lifetime_in_bucket) or, without one,
// exponential of mean live × 1000 / rate operations (Little's law, as fleetbench's
// empirical driver). A remote free hands the object to the next thread, which frees it
// (ring_handoff.hpp).
//
// Lifetimes count operations of the whole program; each of T threads makes 1/T of them.
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
#include <array>
#include <cmath>
#include <deque>
#include <limits>
#include <queue>

namespace allocbench {
namespace {

constexpr std::string_view prefix = "profile:";

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
// allocation when no later tenth has any.
constexpr double never = std::numeric_limits<double>::infinity();

class ProfileReplay final : public ThreadedWorkload {
 public:
  ProfileReplay(const WorkloadConfig& c, const trace::Profile& profile)
      : ThreadedWorkload(c.threads),
        cfg_(c),
        profile_(profile),
        ops_(static_cast<uint64_t>(c.params.at("ops"))),
        pools_(c.threads, c.params.at("allocate") == 0),
        handoff_(c.threads, 1024),
        per_thread_(c.threads) {}

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
  struct alignas(64) PerThread {
    trace::mapped_vector<Step> schedule;
    trace::mapped_vector<Object> slots;
    Digest digest;          // what this thread allocates and frees itself, in order
    uint64_t consumed = 0;  // fingerprints of the objects handed to it, summed
    int64_t remote_frees = 0;
    int64_t kept = 0;
  };

  // A lifetime in operations of the whole program: from the class's histogram, else
  // exponential around Little's law; `never` for an object the program keeps.
  static double draw_lifetime(const trace::ProfileClass& c, size_t tenth, uint64_t freed_weight, Rng& rng) {
    if (rng.below(1'000'000) < static_cast<uint64_t>(c.kept[tenth] * 10'000)) return never;
    if (freed_weight == 0) return -std::log(unit(rng)) * c.little_lifetime();
    uint64_t pick = rng.below(freed_weight);
    size_t b = 0;
    while (pick >= c.lifetimes[b]) pick -= c.lifetimes[b++];
    return trace::lifetime_in_bucket(b, unit(rng));
  }

  static double unit(Rng& rng) { return (static_cast<double>(rng.next() >> 11) + 0.5) * 0x1p-53; }  // (0, 1)

  // Thread t's steps, drawn from the profile: allocations arrive at the rates of the tenth
  // of the run the clock is in (a Poisson process, in the program's operations), each
  // object is freed when its life ends, and the steps are both, in the order of their
  // times, until the clock has run this thread's share of the operations. Every thread
  // covers the same span of the program, whatever its classes.
  void draw_schedule(unsigned t, PerThread& me) {
    const unsigned threads = cfg_.threads;
    std::vector<const trace::ProfileClass*> classes;
    std::array<std::vector<double>, 10> cumulative;  // per tenth: the rates, per thread, of this thread's classes
    std::array<double, 10> total{};
    std::vector<uint64_t> freed_weights;
    for (const auto& c : profile_.classes) {
      if (c.threads <= t) continue;
      classes.push_back(&c);
      for (size_t d = 0; d < 10; ++d) cumulative[d].push_back(total[d] += c.rate[d] / c.threads);
      uint64_t w = 0;
      for (uint64_t n : c.lifetimes) w += n;
      freed_weights.push_back(w);
    }
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
    auto tenth_at = [span](double at) { return static_cast<size_t>(std::clamp(at * 10 / span, 0.0, 9.0)); };
    double clock = 0, next = -1;  // next: the time of the next allocation, or of the next tenth that has any
    bool allocates = false;
    while (clock < span) {
      if (next < 0) {
        size_t tenth = tenth_at(clock);
        double rate = std::min(1.0, total[tenth] * threads / 1000);  // allocations per operation, this thread's share
        allocates = rate > 0;
        if (allocates) {
          next = clock - std::log(unit(rng)) / rate;
        } else {
          size_t later = tenth + 1;
          while (later < 10 && total[later] <= 0) ++later;
          next = later < 10 ? static_cast<double>(later) * span / 10 : never;
        }
      }
      if (!due.empty() && due.top().at <= std::min(next, span)) {
        Due d = due.top();
        due.pop();
        clock = std::max(clock, d.at);
        me.schedule.push_back({d.slot, 0});
        free_slots.push_back(d.slot & ~Step::remote);
        continue;
      }
      clock = next;
      next = -1;
      if (!allocates || clock >= span) continue;
      size_t tenth = tenth_at(clock);
      const auto& sums = cumulative[tenth];
      double x = unit(rng) * total[tenth];
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
      double lifetime = draw_lifetime(c, tenth, freed_weights[i], rng);
      if (lifetime >= span * threads) continue;  // outlives the run: freed after the phase, like a kept one
      bool remote = rng.below(1'000'000) < static_cast<uint64_t>(c.remote_percent * 10'000);
      due.push({clock + std::max(1.0, lifetime) / threads, slot | (remote ? Step::remote : 0)});
    }
    me.slots.resize(slots);
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
    for (const Step& s : me.schedule) {
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
    handoff_.finish(t, take_one);
  }

  void step(unsigned t, Phase phase) override {
    ObjectPools::Use objects(pools_, t);
    PerThread& me = per_thread_[t];
    switch (phase) {
      case Phase::setup:
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
                   {{"ops", ValueType::count, 2'000'000, 1, 1'000'000'000,
                     "allocations and frees, over all threads"},
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
