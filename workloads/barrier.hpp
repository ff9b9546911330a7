// A reusable thread barrier. Not std::barrier: libstdc++'s frees its state with an
// unsized delete[], which the counting wrapper (sized deallocation only) cannot
// subtract, so it would show up as a leak in every threaded workload.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace allocbench {

class Barrier {
 public:
  explicit Barrier(unsigned count) : count_(count) {}

  void arrive_and_wait() {
    std::unique_lock lock(mutex_);
    uint64_t generation = generation_;
    if (++arrived_ == count_) {
      arrived_ = 0;
      ++generation_;
      lock.unlock();
      all_arrived_.notify_all();
      return;
    }
    all_arrived_.wait(lock, [&] { return generation_ != generation; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable all_arrived_;
  const unsigned count_;
  unsigned arrived_ = 0;
  uint64_t generation_ = 0;
};

}  // namespace allocbench
