// The real workloads, run in this process with the counting operators: the same seed
// does the same work whatever the thread interleaving, and nothing leaks.
#include "common/error.hpp"
#include "trace/input_file.hpp"
#include "trace/prepared.hpp"
#include "trace/replay_cache.hpp"
#include "trace/summary.hpp"
#include "counting/counting.hpp"
#include "workloads/digest.hpp"
#include "workloads/object_pool.hpp"
#include "workloads/workload.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <cstring>
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

// A trace's prepared replay and thread count, as the driver's preparation gives them.
std::pair<std::string, unsigned> prepared(const WorkloadInfo& info) {
  std::string file = trace::prepared_file(trace_path(info.name), trace::cache_directory());
  return {file, trace::read_prepared(trace::InputFile(file, "prepared replay"), false).header.threads};
}

Run run(std::string_view name, unsigned threads, uint64_t seed, std::map<std::string, std::string> params) {
  const WorkloadInfo& info = find_workload(name);
  WorkloadConfig cfg{info.name, resolve_params(info.name, info.params, params), seed, threads, {}, {}};
  if (info.kind == WorkloadKind::trace) std::tie(cfg.prepared, cfg.threads) = prepared(info);
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

// Every workload of the registry that allocates (the standard ones, and the test-only
// example that proves a new workload is picked up), with the small parameters it declares.
std::vector<const WorkloadInfo*> registered() {
  std::vector<const WorkloadInfo*> out;
  for (const auto* w : all_workloads())
    if (w->kind == WorkloadKind::standard || w->kind == WorkloadKind::example) out.push_back(w);
  return out;
}

// A value of `spec` far enough from `value` to change the work, within its bounds: double
// (a neighbour is not: 3000 requests recycling with odds 1/50 or 1/51 are often the same).
std::string other_value(const ParamSpec& spec, int64_t value) {
  int64_t other = value ? value * 2 : 1;
  if (other > spec.max) other = value / 2;
  return std::to_string(std::max(other, spec.min));
}

}  // namespace

TEST_CASE("unit_workloads_the_registry_holds_the_standard_ones_and_the_test_example") {
  std::vector<std::string_view> names;
  for (const auto* w : registered()) {
    names.push_back(w->name);
    CHECK_FALSE(w->small_params.empty());  // every one declares how to run it small
  }
  CHECK(names == std::vector<std::string_view>{"small-object-churn", "connection-pool", "pool-contention", "fragmentation",
                                               "test-stack"});
}

TEST_CASE("unit_workloads_same_seed_same_work_under_any_interleaving") {
  int runs = 0;
  for (const auto* w : registered()) {
    for (unsigned threads : {1u, 2u, 4u}) {
      CAPTURE(w->name);
      CAPTURE(threads);
      Run a = run(w->name, threads, 7, w->small_params), b = run(w->name, threads, 7, w->small_params);
      CHECK(a.outcome.checksum == b.outcome.checksum);
      CHECK(a.counts.allocs == b.counts.allocs);
      CHECK(a.counts.frees == b.counts.frees);
      CHECK(a.counts.bytes_allocated == b.counts.bytes_allocated);
      CHECK(a.counts.allocs > 0);
      if (threads == 1) CHECK(a.counts.peak_live_bytes == b.counts.peak_live_bytes);
      ++runs;
    }
  }
  CHECK(runs == 3 * static_cast<int>(registered().size()));
}

TEST_CASE("unit_workloads_checksum_digests_the_work") {
  int runs = 0;
  for (const auto* w : registered()) {
    CAPTURE(w->name);
    CHECK(run(w->name, 1, 1, w->small_params).outcome.checksum != run(w->name, 1, 2, w->small_params).outcome.checksum);
    ++runs;
  }
  CHECK(runs == static_cast<int>(registered().size()));
}

// Every parameter changes the work, so every parameter changes the checksum: e.g. the
// sizes drawn for max_size=1024 and 2048 come from the same random calls, and a sum of the
// objects' first words could not tell them apart. allocate changes who serves the
// objects, not the work (the next test).
TEST_CASE("unit_workloads_checksum_depends_on_every_parameter") {
  int changed = 0;
  for (const auto* w : registered()) {
    ParamValues values = resolve_params(w->name, w->params, w->small_params);
    uint64_t base = run(w->name, 1, 1, w->small_params).outcome.checksum;
    for (const auto& spec : w->params) {
      if (spec.name == "allocate") continue;
      CAPTURE(w->name);
      CAPTURE(spec.name);
      auto other = w->small_params;
      other[spec.name] = other_value(spec, values.at(spec.name));
      CHECK(run(w->name, 1, 1, other).outcome.checksum != base);
      ++changed;
    }
  }
  CHECK(changed >= 3 * static_cast<int>(registered().size()));
}

// allocate=0, the harness's own cost: the same work and checksum, and not one allocator
// call in the phase, on one thread and with cross-thread frees.
TEST_CASE("unit_workloads_allocate_0_does_the_same_work_without_the_allocator") {
  int runs = 0;
  for (const auto* w : registered()) {
    for (unsigned threads : {1u, 3u}) {
      CAPTURE(w->name);
      CAPTURE(threads);
      auto pooled = w->small_params;
      pooled.insert_or_assign("allocate", std::string("0"));
      Run with = run(w->name, threads, 4, w->small_params), without = run(w->name, threads, 4, pooled);
      CHECK(with.counts.allocs > 0);
      CHECK(without.counts.allocs == 0);
      CHECK(without.counts.frees == 0);
      CHECK(without.counts.bytes_allocated == 0);
      CHECK(without.outcome.checksum == with.outcome.checksum);
      CHECK(without.leaked == 0);
      ++runs;
    }
  }
  CHECK(runs == 2 * static_cast<int>(registered().size()));
}

// Size classes as allocators round: never smaller than asked, at most 1/8 (or 15 B) more.
TEST_CASE("unit_object_pool_size_classes_fit_and_waste_little") {
  size_t last = 0;
  for (size_t size = 1; size <= (size_t{1} << 32); size += size < 4096 ? 1 : size / 7) {
    CAPTURE(size);
    size_t c = ObjectPool::class_of(size), bytes = size_classes::class_size(c);
    CHECK(c >= last);
    CHECK(bytes >= size);
    CHECK(bytes <= std::max(size + 15, size + size / 8));
    CHECK(size_classes::class_floor(c) <= size);
    last = c;
  }
  CHECK(size_classes::class_size(ObjectPool::class_of(0)) == 16);
  CHECK_THROWS_AS(ObjectPool::class_of((size_t{1} << 32) + 1), Error);
}

// A block freed on another thread is reused there; what a pool carved is unmapped with it.
TEST_CASE("unit_object_pool_reuses_blocks_across_threads") {
  ObjectPools pools(2, true);
  void* a;
  {
    ObjectPools::Use use(pools, 0);
    a = obtain(100);
    std::memset(a, 1, 100);
  }
  {
    ObjectPools::Use use(pools, 1);
    release(a, 100);
    CHECK(obtain(112) == a);  // the same class: 97-112 B
    void* b = obtain(112);
    CHECK(b != a);
    release(b, 112);
    release(a, 100);
  }
  CHECK(current_pool == nullptr);
  ObjectPools inactive(1, false);
  ObjectPools::Use use(inactive, 0);
  CHECK(current_pool == nullptr);  // allocate=1: the allocator serves
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
  int runs = 0;
  for (const auto* w : registered()) {
    CAPTURE(w->name);
    Run r = run(w->name, 2, 3, w->small_params);
    CHECK(r.leaked == 0);
    CHECK(r.unsized_frees == 0);
    ++runs;
  }
  CHECK(runs == static_cast<int>(registered().size()));
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
  trace::TraceSummary trace = trace::summarise_trace(ALLOCBENCH_TEST_TRACE);
  REQUIRE(prepared(find_workload(name)).second == 3);
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

// Writes a profile to a file of its own and returns its workload name.
static std::string profile_file(const std::string& name, const std::string& classes) {
  auto path = std::filesystem::temp_directory_path() / (name + "-" + std::to_string(getpid()) + ".csv");
  std::ofstream(path) << "size_min,size_max,rate,live,kept,lifetimes,threads,remote_percent\n" << classes;
  return "profile:" + path.string();
}

// A profile on three threads whose objects are freed by the next thread: the same work and
// checksum however the threads interleave (run under TSan too), nothing left live.
TEST_CASE("unit_profile_replay_hands_objects_between_threads") {
  const std::string name = profile_file("allocbench-unit-profile", "16,256,400,300,0,,3,40\n"
                                       "1000,5000,50;0;0;0;0;0;0;0;0;100,20,5,1;2;3;4;5;6;7;8,2,0\n");
  const WorkloadInfo& info = find_workload(name);
  REQUIRE(info.default_threads == 3);
  Run first = run(name, 3, 2, {{"ops", "60000"}});
  CHECK(first.outcome.stats[0].name == "remote_frees");
  CHECK(first.outcome.stats[0].value > 0);
  CHECK(first.counts.allocs > 20000);
  CHECK(first.leaked == 0);
  for (int attempt = 0; attempt < 5; ++attempt) {
    Run again = run(name, 3, 2, {{"ops", "60000"}});
    CHECK(again.outcome.checksum == first.outcome.checksum);
    CHECK(again.counts.allocs == first.counts.allocs);
    CHECK(again.counts.bytes_allocated == first.counts.bytes_allocated);
  }
  CHECK(run(name, 3, 3, {{"ops", "60000"}}).outcome.checksum != first.outcome.checksum);
  std::filesystem::remove(name.substr(8));
}

// Classes on one thread and on two share the run as their rates say: every thread covers
// the same span of the program, whatever its classes.
TEST_CASE("unit_profile_replay_keeps_the_rates_of_classes_on_different_threads") {
  const std::string name = profile_file("allocbench-unit-rates", "100,100,250,100,0,,1,0\n1000,1000,250,100,0,,2,0\n");
  Run r = run(name, 2, 1, {{"ops", "200000"}});
  double allocs = static_cast<double>(r.counts.allocs), bytes = static_cast<double>(r.counts.bytes_allocated);
  double small = (1000 * allocs - bytes) / 900;  // allocations of 100 bytes
  CHECK(small / allocs == doctest::Approx(0.5).epsilon(0.05));
  CHECK(allocs == doctest::Approx(100000).epsilon(0.05));  // half the operations allocate
  std::filesystem::remove(name.substr(8));
}

// Objects of a few bytes are written and read within their size (under ASan too).
TEST_CASE("unit_profile_replay_makes_objects_smaller_than_a_word") {
  const std::string name = profile_file("allocbench-unit-tiny", "1,7,300,50,0,1;2;3,1,0\n");
  Run r = run(name, 1, 1, {{"ops", "20000"}});
  CHECK(r.counts.allocs > 5000);
  CHECK(r.counts.bytes_allocated < 8 * r.counts.allocs);
  CHECK(r.leaked == 0);
  std::filesystem::remove(name.substr(8));
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
