// The real workloads, run in this process with the counting operators: the same seed
// does the same work whatever the thread interleaving, and nothing leaks.
#include "common/error.hpp"
#include "trace/summary.hpp"
#include "worker/counting.hpp"
#include "workloads/digest.hpp"
#include "workloads/workload.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

namespace c = allocbench::counting;
using namespace allocbench;

namespace {

struct Run {
  WorkloadOutcome outcome;
  c::PhaseCounts counts;
  int64_t leaked;
  int64_t unsized_frees;
};

Run run(std::string_view name, unsigned threads, uint64_t seed, std::map<std::string, std::string> params) {
  const WorkloadInfo& info = find_workload(name);
  WorkloadConfig cfg{info.name, resolve_params(info.name, info.params, params), seed, threads};
  int64_t live = c::snapshot().live_bytes, unsized = c::unsized_frees();
  Run r{};
  {
    auto w = info.make(cfg);
    w->setup();
    c::begin_phase();
    w->run();
    r.counts = c::end_phase();
    w->teardown();
    r.outcome = w->outcome();
  }
  r.leaked = c::snapshot().live_bytes - live;
  r.unsized_frees = c::unsized_frees() - unsized;
  return r;
}

const std::map<std::string, std::map<std::string, std::string>> small{
    {"small-object-churn", {{"ops", "50000"}, {"window", "2000"}}},
    {"connection-pool", {{"requests", "3000"}, {"recycle_every", "50"}}},
    {"pool-contention", {{"ops", "100000"}, {"queue_capacity", "64"}}},
};

}  // namespace

TEST_CASE("unit_workloads_same_seed_same_work_under_any_interleaving") {
  for (const auto& [name, params] : small) {
    for (unsigned threads : {1u, 2u, 4u}) {
      CAPTURE(name);
      CAPTURE(threads);
      Run a = run(name, threads, 7, params), b = run(name, threads, 7, params);
      CHECK(a.outcome.checksum == b.outcome.checksum);
      CHECK(a.counts.allocs == b.counts.allocs);
      CHECK(a.counts.frees == b.counts.frees);
      CHECK(a.counts.bytes_allocated == b.counts.bytes_allocated);
      CHECK(a.counts.allocs > 0);
      if (threads == 1) CHECK(a.counts.peak_live_bytes == b.counts.peak_live_bytes);
    }
  }
}

TEST_CASE("unit_workloads_checksum_digests_the_work") {
  for (const auto& [name, params] : small) {
    CAPTURE(name);
    CHECK(run(name, 1, 1, params).outcome.checksum != run(name, 1, 2, params).outcome.checksum);
  }
}

// Every parameter changes the work, so every parameter changes the checksum: the sizes
// drawn for max_size=1024 and 65536 come from the same random calls, and a sum of the
// objects' first words could not tell them apart.
TEST_CASE("unit_workloads_checksum_depends_on_every_parameter") {
  const std::map<std::string, std::map<std::string, std::string>> changed{
      {"small-object-churn", {{"ops", "50001"}, {"window", "2001"}, {"max_size", "65536"}, {"tail_percent", "50"}}},
      {"connection-pool", {{"requests", "3001"}, {"recycle_every", "7"}, {"max_body", "65536"}, {"connections", "9"}}},
      {"pool-contention", {{"ops", "100001"}, {"queue_capacity", "256"}, {"max_size", "65536"}, {"local_percent", "60"}}},
  };
  for (const auto& [name, params] : small) {
    uint64_t base = run(name, 1, 1, params).outcome.checksum;
    for (const auto& [key, value] : changed.at(name)) {
      CAPTURE(name);
      CAPTURE(key);
      auto other = params;
      other[key] = value;
      CHECK(run(name, 1, 1, other).outcome.checksum != base);
    }
  }
}

TEST_CASE("unit_workloads_digest_follows_the_order") {
  Digest ab, ba, a;
  ab.add(1);
  ab.add(2);
  ba.add(2);
  ba.add(1);
  a.add(1);
  CHECK(ab.value() != ba.value());
  CHECK(ab.value() != a.value());
  a.add(2);
  CHECK(ab.value() == a.value());
}

TEST_CASE("unit_workloads_leave_nothing_live_and_free_only_with_sizes") {
  for (const auto& [name, params] : small) {
    CAPTURE(name);
    Run r = run(name, 2, 3, params);
    CHECK(r.leaked == 0);
    CHECK(r.unsized_frees == 0);
  }
}

TEST_CASE("unit_workloads_pool_contention_frees_across_threads") {
  Run r = run("pool-contention", 4, 1, {{"ops", "200000"}});
  CHECK(r.outcome.stats[0].name == "cross_thread_frees");
  CHECK(r.outcome.stats[0].value > 0);
}

TEST_CASE("unit_workloads_connection_pool_recycles_deterministically") {
  Run a = run("connection-pool", 3, 5, {{"requests", "2000"}, {"recycle_every", "20"}});
  Run b = run("connection-pool", 1, 5, {{"requests", "2000"}, {"recycle_every", "20"}});
  CHECK(a.outcome.stats[2].name == "recycles");
  CHECK(a.outcome.stats[2].value > 0);
  CHECK(a.outcome.stats[2].value == b.outcome.stats[2].value);
  CHECK(a.outcome.stats[0].value == 2000);  // borrows
  CHECK(a.outcome.checksum == b.outcome.checksum);  // even across thread counts: per-request work
}

// A real recording of tests/programs/alloc_threads on three threads, whose workers free
// each other's objects: the replay's cross-thread waits run here (and under TSan).
TEST_CASE("unit_trace_replay_of_a_multi_threaded_recording_matches_the_trace") {
  const std::string name = "trace:" ALLOCBENCH_TEST_TRACE;
  const WorkloadInfo& info = find_workload(name);
  trace::TraceSummary trace = trace::summarise_trace(ALLOCBENCH_TEST_TRACE);
  REQUIRE(info.default_threads == 3);
  REQUIRE(trace.threads == 3);
  for (int attempt = 0; attempt < 20; ++attempt) {
    Run r = run(name, 0, 1, {});
    CHECK(r.outcome.ops == trace.operations);
    CHECK(r.counts.allocs == static_cast<int64_t>(trace.allocations));
    CHECK(r.counts.frees == static_cast<int64_t>(trace.frees));
    CHECK(r.counts.bytes_allocated == static_cast<int64_t>(trace.bytes_allocated));
    CHECK(r.leaked == 0);  // what the program kept is freed after the phase
    CHECK(r.outcome.stats[0].value == 0);  // no skipped frees
    static const uint64_t checksum = r.outcome.checksum;
    CHECK(r.outcome.checksum == checksum);
  }
}

// A trace refused for any reason leaves no descriptor open: trace-info, record and the
// driver read many traces in one process, and the fuzzer millions.
TEST_CASE("unit_trace_reader_closes_its_file_on_every_error") {
  auto open_descriptors = [] {
    return std::distance(std::filesystem::directory_iterator("/proc/self/fd"), std::filesystem::directory_iterator{});
  };
  std::string path = (std::filesystem::temp_directory_path() / "allocbench-unit-broken.trace").string();
  for (std::string content : {std::string("not a trace at all"), std::string("ALLOCTRC\x01\0\0\0\0\0\0\0CHNK", 20)}) {
    std::ofstream(path, std::ios::binary) << content;
    auto before = open_descriptors();
    for (int i = 0; i < 100; ++i) CHECK_THROWS_AS(trace::summarise_trace(path), Error);
    CHECK(open_descriptors() == before);
  }
  std::filesystem::remove(path);
}
