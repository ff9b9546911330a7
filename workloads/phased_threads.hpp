// Runs a body on N threads in step with a workload's setup / run / teardown, so that
// each thread allocates its own data (as a real server thread would), the measured
// phase covers only the steady state, and phase boundaries find every thread waiting.
#pragma once

#include "workloads/barrier.hpp"

#include <functional>
#include <thread>
#include <vector>

namespace allocbench {

enum class Phase { setup, run, teardown };

class PhasedThreads {
 public:
  using Body = std::function<void(unsigned thread, Phase phase)>;

  PhasedThreads(unsigned threads, Body body) : body_(std::move(body)), gate_(threads + 1) {
    threads_.reserve(threads);
    for (unsigned t = 0; t < threads; ++t)
      threads_.emplace_back([this, t] {
        for (Phase phase : {Phase::setup, Phase::run, Phase::teardown}) {
          if (phase != Phase::setup) gate_.arrive_and_wait();  // released by the caller
          body_(t, phase);
          gate_.arrive_and_wait();                             // phase done
        }
      });
  }

  // Each call runs the next phase on every thread, and `alongside` on the calling thread
  // meanwhile, and returns when all have finished it.
  void setup() { gate_.arrive_and_wait(); }
  void run(const std::function<void()>& alongside = [] {}) { step(alongside); }
  void teardown(const std::function<void()>& alongside = [] {}) {
    step(alongside);
    for (auto& t : threads_) t.join();
  }

  PhasedThreads(const PhasedThreads&) = delete;
  PhasedThreads& operator=(const PhasedThreads&) = delete;

 private:
  void step(const std::function<void()>& alongside) {
    gate_.arrive_and_wait();  // release
    alongside();
    gate_.arrive_and_wait();  // wait for completion
  }

  Body body_;
  Barrier gate_;
  std::vector<std::thread> threads_;
};

}  // namespace allocbench
