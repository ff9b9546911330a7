// A pool of reusable resources (connections) shared by threads: borrow() blocks until
// one is idle, give_back() returns it. A mutex and a condition variable: simple and
// correct, and what a real server's pool does.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

namespace allocbench {

template <typename T>
class BlockingPool {
 public:
  explicit BlockingPool(std::vector<T> items) : idle_(std::move(items)) {}

  T borrow() {
    std::unique_lock lock(mutex_);
    ++borrows_;
    if (idle_.empty()) {
      ++waits_;
      available_.wait(lock, [this] { return !idle_.empty(); });
    }
    T item = std::move(idle_.back());
    idle_.pop_back();
    return item;
  }

  void give_back(T item) {
    {
      std::lock_guard lock(mutex_);
      idle_.push_back(std::move(item));
    }
    available_.notify_one();
  }

  // Everything idle; the pool must not be in use.
  std::vector<T> drain() {
    std::lock_guard lock(mutex_);
    return std::move(idle_);
  }

  uint64_t borrows() const { std::lock_guard lock(mutex_); return borrows_; }
  uint64_t waits() const { std::lock_guard lock(mutex_); return waits_; }

 private:
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<T> idle_;
  uint64_t borrows_ = 0;
  uint64_t waits_ = 0;
};

}  // namespace allocbench
