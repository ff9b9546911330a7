// The latency histograms (counting/latency.hpp): percentiles, overall and per size band,
// within the buckets' 0.1% of the exact ones, computed here by sorting the same values;
// and the slowest calls kept as they were.
#include "counting/latency.hpp"

#include <doctest/doctest.h>

#include <linux/perf_event.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <thread>
#include <vector>

namespace latency = allocbench::latency;

namespace {

// The exact value at rank ceil(q * n), as the histogram reports it: ticks less the timer's cost, in ns.
double exact(std::vector<uint64_t> values, double q) {
  std::sort(values.begin(), values.end());
  auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(values.size())));
  double ticks = static_cast<double>(values[std::max<size_t>(rank, 1) - 1]);
  return std::max(0.0, ticks - latency::timer().overhead_ticks) * latency::timer().ns_per_tick;
}

}  // namespace

TEST_CASE("unit_latency_percentiles_keep_three_significant_digits_over_threads") {
  latency::calibrate();
  CHECK(latency::timer().ns_per_tick > 0);
  CHECK(latency::timer().overhead_ticks >= 0);
  // Log-spread values from 1 tick to about 2^36, on two threads, merged; every third call
  // of 4 KiB (the le_128k band), the others of 32 B (le_64).
  std::vector<uint64_t> all, small, large;
  for (uint64_t i = 0; i < 200000; ++i) {
    all.push_back(1 + static_cast<uint64_t>(std::exp2(static_cast<double>(i % 3600) / 100)) + i % 7);
    (i % 3 ? small : large).push_back(all.back());
  }
  auto size_of = [&](auto it) -> size_t { return (it - all.begin()) % 3 ? 32 : 4096; };
  auto half = all.begin() + static_cast<long>(all.size() / 2);
  std::thread other([&] {
    for (auto it = half; it != all.end(); ++it) latency::record(latency::Op::free, size_of(it), *it, latency::fault_mark());
  });
  for (auto it = all.begin(); it != half; ++it) latency::record(latency::Op::free, size_of(it), *it, latency::fault_mark());
  other.join();
  auto check_percentiles = [](const latency::Percentiles& p, const std::vector<uint64_t>& values) {
    CHECK(p.count == values.size());
    for (auto [q, got] : {std::pair{0.5, p.p50}, {0.9, p.p90}, {0.99, p.p99}, {0.999, p.p999}, {0.9999, p.p9999}}) {
      CAPTURE(q);
      double want = exact(values, q);
      CHECK(std::fabs(got - want) <= 0.001 * want + latency::timer().ns_per_tick);
    }
    CHECK(p.max == doctest::Approx(exact(values, 1.0)));
  };
  check_percentiles(latency::percentiles(latency::Op::free), all);
  check_percentiles(latency::percentiles(latency::Op::free, allocbench::band_of(32)), small);
  check_percentiles(latency::percentiles(latency::Op::free, allocbench::band_of(4096)), large);
  CHECK(latency::percentiles(latency::Op::free, allocbench::band_of(1 << 20)).count == 0);
  CHECK(latency::percentiles(latency::Op::malloc).count == 0);  // kinds are kept apart

  // The slowest calls, with their sizes, from both threads.
  std::vector<latency::SlowCall> slow = latency::slowest(5);
  REQUIRE(slow.size() == 5);
  std::vector<uint64_t> sorted = all;
  std::sort(sorted.rbegin(), sorted.rend());
  for (size_t i = 0; i < slow.size(); ++i) {
    CAPTURE(i);
    CHECK(slow[i].op == latency::Op::free);
    CHECK(slow[i].ns == doctest::Approx(std::max(0.0, static_cast<double>(sorted[i]) - latency::timer().overhead_ticks) *
                                        latency::timer().ns_per_tick));
    size_t at = static_cast<size_t>(std::find(all.begin(), all.end(), sorted[i]) - all.begin());
    if (std::count(all.begin(), all.end(), sorted[i]) == 1) CHECK(slow[i].size == (at % 3 ? 32u : 4096u));
    CHECK(slow[i].thread <= 1);
  }
  CHECK(latency::slowest(1000).size() == 32);  // 16 per thread
}

TEST_CASE("unit_latency_a_call_that_page_faults_is_counted_as_faulted") {
  // After the test above (file order): the malloc and realloc histograms are this test's alone.
  latency::calibrate();
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE)), calls = 200;
  auto fresh_pages = [&] {
    auto* p = static_cast<char*>(::mmap(nullptr, page * calls, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    REQUIRE(p != MAP_FAILED);
    return p;
  };
  // Each kind: a call that touches a fresh page (a page fault), then one that does nothing.
  auto faulting_and_empty = [&](latency::Op op, char* fresh) {
    latency::start();  // nothing below allocates until stop(): no other call is timed
    for (size_t i = 0; i < calls; ++i) {
      latency::timed(op, 64, [&] { fresh[i * page] = 1; });
      latency::timed(op, 64, [] {});
    }
    latency::stop();
    ::munmap(fresh, page * calls);
  };
  // On this thread, warm (a fresh thread's own first pages, such as a sanitizer's, would
  // fault too): the count is exact.
  faulting_and_empty(latency::Op::malloc, fresh_pages());
  latency::Percentiles p = latency::percentiles(latency::Op::malloc);
  CHECK(p.count == 2 * calls);
  // On a thread of its own, whose 16 slowest calls are then these: the sample of slow calls.
  char* more = fresh_pages();
  std::thread([&] { faulting_and_empty(latency::Op::realloc, more); }).join();
  // Whether this machine grants the perf event, asked directly: where it does, the
  // attribution must be there.
  perf_event_attr attr{};
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_PAGE_FAULTS;
  attr.exclude_kernel = 1;
  int fd = static_cast<int>(::syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
  if (fd < 0) {
    CHECK_FALSE(p.faults_seen);
    MESSAGE("perf events are refused here: faults are not attributed");
    return;
  }
  ::close(fd);
  REQUIRE(p.faults_seen);
  CHECK(p.faulted == calls);
  CHECK(p.faulted_share_p999 == 1.0);  // the slowest calls are the faulting ones
  int kept = 0, faulted = 0;
  for (const latency::SlowCall& s : latency::slowest(1000))
    if (s.op == latency::Op::realloc) {
      ++kept;
      faulted += s.faulted == 1;
      CHECK(s.size == 64);
    }
  CHECK(kept == 16);
  CHECK(faulted >= 12);  // the faulting calls, but for one preempted at the wrong moment
}
