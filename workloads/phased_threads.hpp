// Runs a body on N threads in step with a workload's setup / run / teardown, so that
// each thread allocates its own data (as a real server thread would), the measured
// phase covers only the steady state, and phase boundaries find every thread waiting.
//
// Thread 0 is the calling thread, as a program's first thread is its main thread: glibc
// serves the main thread from an arena of its own. With one thread there is nothing to
// wait for, so the phase is the body alone: its instruction count under callgrind is
// exact (a wait's length would vary with the scheduling).
//
// After teardown the threads stay alive, parked, until the object is destroyed: run --idle
// measures what the allocator keeps while its threads live on idle, as a server's do (an
// exiting thread hands its caches back, which would flatter the allocator).
#pragma once

#include "workloads/barrier.hpp"
#include "workloads/workload.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace allocbench {

enum class Phase { setup, run, teardown };

class PhasedThreads {
 public:
  using Body = std::function<void(unsigned thread, Phase phase)>;

  PhasedThreads(unsigned threads, Body body) : body_(std::move(body)), gate_(threads) {
    for (unsigned t = 1; t < threads; ++t)
      threads_.emplace_back([this, t] {
        for (Phase phase : {Phase::setup, Phase::run, Phase::teardown}) {
          if (phase != Phase::setup) gate_.arrive_and_wait();  // released by the caller
          if (!abandoned_.load(std::memory_order_relaxed)) body_(t, phase);
          gate_.arrive_and_wait();                             // phase done
        }
        gate_.arrive_and_wait();  // parked until the destructor
      });
  }

  // Normally the threads are parked and one arrival ends them. If thread 0 left a phase
  // early (its body threw), the others are still in step: the destructor makes the
  // caller's remaining arrivals, and they skip the bodies of the phases left.
  ~PhasedThreads() {
    if (threads_.empty()) return;
    if (arrivals_ < arrivals_to_park) abandoned_.store(true, std::memory_order_relaxed);  // the barrier publishes it
    while (arrivals_ <= arrivals_to_park) arrive();
    for (auto& t : threads_) t.join();
  }

  // Each call runs the next phase on every thread, thread 0 on this one, and returns when
  // all have finished it.
  void setup() { finish(Phase::setup); }
  void run() {
    arrive();  // release the others
    finish(Phase::run);
  }
  void teardown() {
    arrive();
    finish(Phase::teardown);
  }

  PhasedThreads(const PhasedThreads&) = delete;
  PhasedThreads& operator=(const PhasedThreads&) = delete;

 private:
  // The caller's arrivals once teardown is done: one per setup, two per run and teardown.
  static constexpr unsigned arrivals_to_park = 5;

  void finish(Phase phase) {
    body_(0, phase);
    arrive();  // wait for the others to complete it
  }
  void arrive() {
    ++arrivals_;
    gate_.arrive_and_wait();
  }

  Body body_;
  Barrier gate_;
  unsigned arrivals_ = 0;  // the caller's, on thread 0
  std::atomic<bool> abandoned_{false};
  std::vector<std::thread> threads_;
};

// A workload whose every phase runs step(thread, phase) on each of its threads.
class ThreadedWorkload : public Workload {
 public:
  explicit ThreadedWorkload(unsigned threads) : thread_count_(threads) {}
  void setup() override {
    threads_ = std::make_unique<PhasedThreads>(thread_count_, [this](unsigned t, Phase p) { step(t, p); });
    guarded([this] { threads_->setup(); });
  }
  void run() override { guarded([this] { threads_->run(); }); }
  void teardown() override { guarded([this] { threads_->teardown(); }); }

 protected:
  virtual void step(unsigned thread, Phase phase) = 0;
  // Thread 0 left a phase by an exception: whatever another thread waits on from it must
  // stop waiting (a ring it would have drained), so that the threads can end.
  virtual void abandon() {}

 private:
  // The threads end while the derived workload, whose data they use, still exists.
  template <typename Call>
  void guarded(Call call) {
    try {
      call();
    } catch (...) {
      abandon();
      threads_.reset();
      throw;
    }
  }

  unsigned thread_count_;
  std::unique_ptr<PhasedThreads> threads_;
};

}  // namespace allocbench
