// Threads in a ring, each handing objects to the next through its own SpscRing: the
// cross-thread frees of pool-contention and of a profile's remote frees. The receiving
// thread frees what it takes, so every handed object is freed by another thread.
#pragma once

#include "workloads/digest.hpp"
#include "workloads/spsc_ring.hpp"

#include <atomic>
#include <cstdint>
#include <deque>
#include <thread>
#include <vector>

namespace allocbench {

template <typename T>
class RingHandoff {
 public:
  RingHandoff(unsigned threads, size_t capacity) : threads_(threads), producing_(threads) {
    for (unsigned t = 0; t < threads; ++t) rings_.emplace_back(capacity);
  }

  // Thread t's ring to the next thread; before the phase, to fill it.
  SpscRing<T>& out(unsigned t) { return rings_[t]; }

  // Called by thread t before it first hands anything over, in setup.
  void start(unsigned t) { producing_[t].store(true, std::memory_order_relaxed); }

  // A thread left the phase (an exception): no one waits on a ring any more.
  void abandon() { abandoned_.store(true, std::memory_order_release); }
  bool abandoned() const { return abandoned_.load(std::memory_order_acquire); }

  // Hands `value` to the next thread. While the ring is full, takes what the previous
  // thread handed (so that a ring of full rings still moves); returns how often it was full.
  template <typename Take>
  int64_t send(unsigned t, const T& value, Take&& take) {
    int64_t full = 0;
    while (!rings_[t].try_push(value) && !abandoned_.load(std::memory_order_acquire)) {
      ++full;
      if (!receive(t, take)) std::this_thread::yield();
    }
    return full;
  }

  // Takes one object the previous thread handed over, if there is one.
  template <typename Take>
  bool receive(unsigned t, Take&& take) {
    T value;
    if (!in(t).try_pop(value)) return false;
    take(value);
    return true;
  }

  // Thread t hands nothing more. The previous thread may still be handing over, so its
  // ring is drained until it is done too, then to the end.
  template <typename Take>
  void finish(unsigned t, Take&& take) {
    producing_[t].store(false, std::memory_order_release);
    const auto& previous = producing_[(t + threads_ - 1) % threads_];
    while (previous.load(std::memory_order_acquire) && !abandoned_.load(std::memory_order_acquire))
      if (!receive(t, take)) std::this_thread::yield();
    while (receive(t, take)) {
    }
  }

 private:
  SpscRing<T>& in(unsigned t) { return rings_[(t + threads_ - 1) % threads_]; }

  unsigned threads_;
  std::deque<SpscRing<T>> rings_;  // rings_[t]: from thread t to the next
  std::vector<std::atomic<bool>> producing_;
  std::atomic<bool> abandoned_{false};
};

// The checksum of work whose objects travel between threads: each thread's digest of its
// own work, in thread order, then the sum of the fingerprints of what each freed of
// others' (`consumed`), which no interleaving changes.
template <typename PerThread>
uint64_t handoff_checksum(const std::vector<PerThread>& threads) {
  Digest all;
  uint64_t consumed = 0;
  for (const auto& t : threads) {
    all.add(t.digest.value());
    consumed += t.consumed;
  }
  all.add(consumed);
  return all.value();
}

}  // namespace allocbench
