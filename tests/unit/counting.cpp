// The counting bookkeeping, driven directly (this binary has no counting operators).
#include "workloads/barrier.hpp"
#include "workloads/rng.hpp"
#include "counting/counting.hpp"

#include <doctest/doctest.h>

#include <thread>
#include <vector>

using namespace allocbench;
namespace c = allocbench::counting;

TEST_CASE("unit_counting_exact_counts_and_peak_for_a_known_sequence") {
  int64_t base = c::snapshot().live_bytes;
  c::begin_phase();
  c::on_alloc(100);
  c::on_alloc(200);
  c::on_free(100);
  c::on_alloc(50);  // live 250: below the 300 peak
  c::on_free(200);
  c::on_free(50);
  c::PhaseCounts p = c::end_phase();
  CHECK(p.allocs == 3);
  CHECK(p.frees == 3);
  CHECK(p.bytes_allocated == 350);
  CHECK(p.peak_live_bytes - base == 300);
  CHECK(p.peak_error_bound == 0);
}

// Sizes up to twice the quantum force publishes in both directions; the single-threaded
// peak must still be exact.
TEST_CASE("unit_counting_single_thread_peak_is_exact_across_publishes") {
  Rng rng(42);
  std::vector<size_t> live_sizes;
  int64_t base = c::snapshot().live_bytes, live = 0, true_peak = 0, allocs = 0, bytes = 0;
  c::begin_phase();
  for (int i = 0; i < 200'000; ++i) {
    if (live_sizes.empty() || rng.below(100) < 52) {
      size_t n = rng.below(100) < 5 ? rng.between(1, 2 * c::quantum) : rng.between(1, 512);
      c::on_alloc(n);
      live_sizes.push_back(n);
      live += static_cast<int64_t>(n);
      bytes += static_cast<int64_t>(n);
      ++allocs;
      true_peak = std::max(true_peak, live);
    } else {
      size_t k = rng.below(live_sizes.size());
      c::on_free(live_sizes[k]);
      live -= static_cast<int64_t>(live_sizes[k]);
      live_sizes[k] = live_sizes.back();
      live_sizes.pop_back();
    }
  }
  c::PhaseCounts p = c::end_phase();
  CHECK(p.peak_live_bytes - base == true_peak);
  CHECK(p.allocs == allocs);
  CHECK(p.bytes_allocated == bytes);
  CHECK(c::snapshot().live_bytes - base == live);
  for (size_t n : live_sizes) c::on_free(n);
  CHECK(c::snapshot().live_bytes == base);
}

TEST_CASE("unit_counting_covers_only_the_measured_phase") {
  int64_t base = c::snapshot().live_bytes;
  c::on_alloc(1000);  // setup: not in the phase's counts
  c::begin_phase();
  c::on_alloc(10);
  c::on_free(1000);  // an object from setup freed in the phase
  c::PhaseCounts p = c::end_phase();
  c::on_alloc(5000);  // teardown: not in the phase's counts
  c::on_free(5000);
  c::on_free(10);
  CHECK(p.allocs == 1);
  CHECK(p.frees == 1);
  CHECK(p.bytes_allocated == 10);
  CHECK(p.peak_live_bytes - base == 1010);  // the setup object is live at the phase's start
}

TEST_CASE("unit_counting_threads_that_exit_in_the_phase_are_counted") {
  c::begin_phase();
  std::thread([] {
    for (int i = 0; i < 7; ++i) c::on_alloc(64);
    for (int i = 0; i < 7; ++i) c::on_free(64);
  }).join();
  c::PhaseCounts p = c::end_phase();
  CHECK(p.allocs == 7);
  CHECK(p.frees == 7);
  CHECK(p.bytes_allocated == 7 * 64);
}

// T threads climb to known amounts in random steps, meet at a barrier (the true peak:
// the sum of their amounts), then free it all. The reported peak must be within the
// reported bound of the truth, and the bound must be threads × quantum.
TEST_CASE("unit_counting_multithreaded_peak_within_threads_times_quantum") {
  for (unsigned threads : {2u, 4u, 8u}) {
    CAPTURE(threads);
    for (uint64_t round = 0; round < 5; ++round) {
      CAPTURE(round);
      int64_t base = c::snapshot().live_bytes;
      std::vector<int64_t> targets(threads);
      int64_t true_peak = 0;
      for (unsigned t = 0; t < threads; ++t) true_peak += targets[t] = static_cast<int64_t>(mix(round, t) % (4 << 20));
      Barrier at_peak(threads);
      c::begin_phase();
      std::vector<std::thread> pool;
      for (unsigned t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
          Rng rng(mix(round, t, 1));
          std::vector<size_t> mine;
          for (int64_t live = 0; live < targets[t];) {
            size_t n = std::min<int64_t>(targets[t] - live, static_cast<int64_t>(rng.between(1, 8192)));
            c::on_alloc(n);
            mine.push_back(n);
            live += static_cast<int64_t>(n);
          }
          at_peak.arrive_and_wait();
          for (size_t n : mine) c::on_free(n);
        });
      for (auto& t : pool) t.join();
      c::PhaseCounts p = c::end_phase();
      CHECK(p.peak_error_bound == int64_t{threads} * c::quantum);
      CHECK(p.peak_live_bytes - base >= true_peak - p.peak_error_bound);
      CHECK(p.peak_live_bytes - base <= true_peak + p.peak_error_bound);
      CHECK(c::snapshot().live_bytes == base);
    }
  }
}
