// A bounded single-producer single-consumer ring. Each side keeps its own index on its
// own cache line and a copy of the other's, read again only when the copy says full or
// empty: a message costs a store to a slot, not a contended read-modify-write, so a
// pipeline of rings spends its time in the work it carries.
#pragma once

#include <atomic>
#include <cstddef>
#include <vector>

namespace allocbench {

template <typename T>
class SpscRing {
 public:
  explicit SpscRing(size_t min_capacity) : cells_(round_up(min_capacity)), mask_(cells_.size() - 1) {}

  size_t capacity() const { return mask_ + 1; }

  // Producer only. False when the ring is full.
  bool try_push(const T& value) {
    size_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - head_seen_ == capacity()) {
      head_seen_ = head_.load(std::memory_order_acquire);
      if (tail - head_seen_ == capacity()) return false;
    }
    cells_[tail & mask_] = value;
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Consumer only. False when the ring is empty.
  bool try_pop(T& out) {
    size_t head = head_.load(std::memory_order_relaxed);
    if (head == tail_seen_) {
      tail_seen_ = tail_.load(std::memory_order_acquire);
      if (head == tail_seen_) return false;
    }
    out = cells_[head & mask_];
    head_.store(head + 1, std::memory_order_release);
    return true;
  }

 private:
  static size_t round_up(size_t n) {
    size_t capacity = 2;
    while (capacity < n) capacity *= 2;
    return capacity;
  }
  std::vector<T> cells_;
  size_t mask_;
  alignas(64) std::atomic<size_t> tail_{0};  // the producer's line
  size_t head_seen_ = 0;
  alignas(64) std::atomic<size_t> head_{0};  // the consumer's line
  size_t tail_seen_ = 0;
};

}  // namespace allocbench
