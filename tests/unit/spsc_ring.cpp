#include "workloads/spsc_ring.hpp"

#include <doctest/doctest.h>

#include <thread>

using namespace allocbench;

TEST_CASE("unit_spsc_ring_is_fifo_and_bounded") {
  SpscRing<int> ring(3);
  CHECK(ring.capacity() == 4);
  for (int lap = 0; lap < 3; ++lap) {  // wraps around
    for (int i = 0; i < 4; ++i) CHECK(ring.try_push(lap * 10 + i));
    CHECK_FALSE(ring.try_push(99));
    int v = -1;
    for (int i = 0; i < 4; ++i) {
      CHECK(ring.try_pop(v));
      CHECK(v == lap * 10 + i);
    }
    CHECK_FALSE(ring.try_pop(v));
  }
}

// A producer and a consumer on a small ring that wraps tens of thousands of times: every
// value arrives once, in order (run under TSan too).
TEST_CASE("unit_spsc_ring_hands_every_value_over_in_order") {
  constexpr int count = 200'000;
  SpscRing<int> ring(8);
  std::thread producer([&] {
    for (int i = 0; i < count; ++i)
      while (!ring.try_push(i)) std::this_thread::yield();
  });
  int expected = 0, out_of_order = 0;
  while (expected < count) {
    int v;
    if (!ring.try_pop(v)) {
      std::this_thread::yield();
      continue;
    }
    out_of_order += v != expected;
    ++expected;
  }
  producer.join();
  CHECK(out_of_order == 0);
}
