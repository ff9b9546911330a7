// PhasedThreads keeps its threads in step through the phases and parks them after
// teardown; a phase that thread 0 leaves by an exception must not strand the others.
#include "workloads/phased_threads.hpp"
#include "workloads/ring_handoff.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <thread>

using namespace allocbench;

namespace {

struct Counts {
  std::atomic<int> setup{0}, run{0}, teardown{0};
  void add(Phase p) { (p == Phase::setup ? setup : p == Phase::run ? run : teardown)++; }
};

}  // namespace

TEST_CASE("unit_phased_threads_run_every_phase_on_every_thread") {
  Counts counts;
  {
    PhasedThreads threads(3, [&](unsigned, Phase p) { counts.add(p); });
    threads.setup();
    CHECK(counts.setup == 3);
    CHECK(counts.run == 0);
    threads.run();
    CHECK(counts.run == 3);
    threads.teardown();
    CHECK(counts.teardown == 3);
  }  // the parked threads end
}

TEST_CASE("unit_phased_threads_end_when_thread_0_throws_in_a_phase") {
  for (Phase failing : {Phase::setup, Phase::run, Phase::teardown}) {
    CAPTURE(static_cast<int>(failing));
    Counts counts;
    {
      PhasedThreads threads(3, [&](unsigned t, Phase p) {
        counts.add(p);
        if (t == 0 && p == failing) throw std::runtime_error("thread 0 fails");
      });
      CHECK_THROWS_AS([&] {
        threads.setup();
        threads.run();
        threads.teardown();
      }(), std::runtime_error);
    }  // must return, not wait for a phase that never comes
    // Earlier phases ran everywhere; the failing one on thread 0 and on those that had
    // started it; no later one ran at all.
    int reached = static_cast<int>(failing);
    std::atomic<int>* phase[] = {&counts.setup, &counts.run, &counts.teardown};
    for (int p = 0; p < 3; ++p) {
      CAPTURE(p);
      if (p < reached) CHECK(*phase[p] == 3);
      if (p == reached) CHECK(*phase[p] >= 1);
      if (p > reached) CHECK(*phase[p] == 0);
    }
  }
}

namespace {

// Thread 1 drains thread 0's ring until thread 0 is done producing; thread 0 throws once
// thread 1 waits.
class WaitsOnThread0 final : public ThreadedWorkload {
 public:
  WaitsOnThread0() : ThreadedWorkload(2), handoff_(2, 4) {}
  WorkloadOutcome outcome() const override { return {}; }

 private:
  void abandon() override { handoff_.abandon(); }
  void step(unsigned t, Phase p) override {
    if (p == Phase::setup) handoff_.start(t);
    if (p != Phase::run) return;
    if (t == 1) {
      waiting_.store(true);
      handoff_.finish(t, [](int) {});
      return;
    }
    while (!waiting_.load()) std::this_thread::yield();
    throw std::runtime_error("thread 0 fails");
  }
  RingHandoff<int> handoff_;
  std::atomic<bool> waiting_{false};
};

}  // namespace

TEST_CASE("unit_threaded_workload_ends_its_threads_when_thread_0_throws_while_another_waits_on_it") {
  auto workload = std::make_unique<WaitsOnThread0>();
  workload->setup();
  CHECK_THROWS_AS(workload->run(), std::runtime_error);  // returns: thread 1 stopped waiting and was joined
  workload.reset();
}
