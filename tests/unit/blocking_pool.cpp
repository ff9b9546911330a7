#include "workloads/blocking_pool.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

using namespace allocbench;

// More threads than items: borrowers must wait, and no item is ever held twice.
TEST_CASE("unit_blocking_pool_stress_items_are_exclusive_and_all_return") {
  constexpr int items = 3, threads = 8, rounds = 5'000;
  std::vector<int> ids(items);
  for (int i = 0; i < items; ++i) ids[i] = i;
  BlockingPool<int> pool(ids);
  std::vector<std::atomic<int>> holders(items);
  std::atomic<int> violations{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&] {
      for (int r = 0; r < rounds; ++r) {
        int id = pool.borrow();
        if (holders[id].fetch_add(1) != 0) violations.fetch_add(1);
        std::this_thread::yield();
        holders[id].fetch_sub(1);
        pool.give_back(id);
      }
    });
  for (auto& w : workers) w.join();
  CHECK(violations.load() == 0);
  CHECK(pool.borrows() == uint64_t{threads} * rounds);
  CHECK(pool.waits() > 0);
  auto back = pool.drain();
  std::sort(back.begin(), back.end());
  CHECK(back == ids);
}
