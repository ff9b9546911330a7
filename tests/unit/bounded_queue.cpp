#include "workloads/bounded_queue.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

using namespace allocbench;

TEST_CASE("unit_bounded_queue_is_fifo_and_bounded") {
  BoundedQueue<int> q(3);
  CHECK(q.capacity() == 4);
  for (int i = 0; i < 4; ++i) CHECK(q.try_push(i));
  CHECK_FALSE(q.try_push(99));
  int v = -1;
  for (int i = 0; i < 4; ++i) {
    CHECK(q.try_pop(v));
    CHECK(v == i);
  }
  CHECK_FALSE(q.try_pop(v));
}

// Many producers and consumers hammer a small queue (so it wraps around thousands of
// times): every value must come out exactly once.
TEST_CASE("unit_bounded_queue_stress_every_item_exactly_once") {
  constexpr int producers = 4, consumers = 4, per_producer = 50'000;
  BoundedQueue<int> q(8);
  std::vector<std::atomic<int>> seen(producers * per_producer);
  std::atomic<int> consumed{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p)
    threads.emplace_back([&, p] {
      for (int i = 0; i < per_producer; ++i)
        while (!q.try_push(p * per_producer + i)) std::this_thread::yield();
    });
  for (int c = 0; c < consumers; ++c)
    threads.emplace_back([&] {
      int v;
      while (consumed.load() < producers * per_producer) {
        if (q.try_pop(v)) {
          seen[static_cast<size_t>(v)].fetch_add(1);
          consumed.fetch_add(1);
        } else {
          std::this_thread::yield();
        }
      }
    });
  for (auto& t : threads) t.join();
  int wrong = 0;
  for (auto& s : seen) wrong += s.load() != 1;
  CHECK(wrong == 0);
  int v;
  CHECK_FALSE(q.try_pop(v));
}
