// A bounded multi-producer multi-consumer queue (Dmitry Vyukov's array queue). Every
// cell carries a sequence number that says whose turn it is, so there is no ABA
// problem: a slot can only be claimed by the producer or consumer of that lap.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace allocbench {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t min_capacity) : cells_(round_up(min_capacity)) {
    size_t capacity = cells_.size();
    mask_ = capacity - 1;
    for (size_t i = 0; i < capacity; ++i) cells_[i].sequence.store(i, std::memory_order_relaxed);
  }

  size_t capacity() const { return mask_ + 1; }

  // False when the queue is full.
  bool try_push(const T& value) {
    size_t pos = tail_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& cell = cells_[pos & mask_];
      size_t seq = cell.sequence.load(std::memory_order_acquire);
      auto diff = static_cast<intptr_t>(seq) - static_cast<intptr_t>(pos);
      if (diff == 0) {
        if (tail_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          cell.value = value;
          cell.sequence.store(pos + 1, std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        return false;
      } else {
        pos = tail_.load(std::memory_order_relaxed);
      }
    }
  }

  // False when the queue is empty (or its next value is still being pushed).
  bool try_pop(T& out) {
    size_t pos = head_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& cell = cells_[pos & mask_];
      size_t seq = cell.sequence.load(std::memory_order_acquire);
      auto diff = static_cast<intptr_t>(seq) - static_cast<intptr_t>(pos + 1);
      if (diff == 0) {
        if (head_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          out = cell.value;
          cell.sequence.store(pos + mask_ + 1, std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        return false;
      } else {
        pos = head_.load(std::memory_order_relaxed);
      }
    }
  }

 private:
  struct Cell {
    std::atomic<size_t> sequence;
    T value;
  };
  static size_t round_up(size_t n) {
    size_t capacity = 2;
    while (capacity < n) capacity *= 2;
    return capacity;
  }
  // A vector, not unique_ptr<Cell[]>: that frees with an unsized delete[], which the
  // counting wrapper cannot subtract.
  std::vector<Cell> cells_;
  size_t mask_ = 0;
  alignas(64) std::atomic<size_t> tail_{0};  // producers and consumers on separate lines
  alignas(64) std::atomic<size_t> head_{0};
};

}  // namespace allocbench
