// The latency histograms (counting/latency.hpp): percentiles within the buckets' 0.1% of
// the exact ones, computed here by sorting the same values.
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
  // Log-spread values from 1 tick to about 2^36, on two threads, merged.
  std::vector<uint64_t> all;
  for (uint64_t i = 0; i < 200000; ++i) all.push_back(1 + static_cast<uint64_t>(std::exp2(static_cast<double>(i % 3600) / 100)) + i % 7);
  auto half = all.begin() + static_cast<long>(all.size() / 2);
  std::thread other([&] {
    for (auto it = half; it != all.end(); ++it) latency::record(latency::Op::free, *it, latency::fault_mark());
  });
  for (auto it = all.begin(); it != half; ++it) latency::record(latency::Op::free, *it, latency::fault_mark());
  other.join();
  latency::Percentiles p = latency::percentiles(latency::Op::free);
  CHECK(p.count == all.size());
  for (auto [q, got] : {std::pair{0.5, p.p50}, {0.9, p.p90}, {0.99, p.p99}, {0.999, p.p999}, {0.9999, p.p9999}}) {
    CAPTURE(q);
    double want = exact(all, q);
    CHECK(std::fabs(got - want) <= 0.001 * want + latency::timer().ns_per_tick);
  }
  CHECK(p.max == doctest::Approx(exact(all, 1.0)));
  CHECK(latency::percentiles(latency::Op::malloc).count == 0);  // kinds are kept apart
}

TEST_CASE("unit_latency_a_call_that_page_faults_is_counted_as_faulted") {
  // After the test above (file order): the malloc histograms are this test's alone.
  latency::calibrate();
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE)), calls = 200;
  char* fresh = static_cast<char*>(::mmap(nullptr, page * calls, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  REQUIRE(fresh != MAP_FAILED);
  latency::start();  // nothing below allocates until stop(): no other call is timed
  for (size_t i = 0; i < calls; ++i) {
    latency::timed(latency::Op::malloc, [&] { fresh[i * page] = 1; });  // first touch: a page fault
    latency::timed(latency::Op::malloc, [] {});
  }
  latency::stop();
  ::munmap(fresh, page * calls);
  latency::Percentiles p = latency::percentiles(latency::Op::malloc);
  CHECK(p.count == 2 * calls);
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
}
