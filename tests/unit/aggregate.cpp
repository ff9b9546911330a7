#include "common/error.hpp"
#include "results/aggregate.hpp"
#include "results/results_json.hpp"
#include "repetition_fixture.hpp"

#include <nlohmann/json.hpp>

#include <doctest/doctest.h>

using namespace allocbench;

TEST_CASE("unit_aggregate_summarises_every_metric_over_repetitions") {
  auto counted = counted_repetition("x");
  Result r = aggregate({measured_repetition("x", 300), measured_repetition("x", 100), measured_repetition("x", 200)}, &counted);
  CHECK(r.reps == 3);
  CHECK(r.counting);
  CHECK(r.metrics.at("wall_ns").median == 200);
  CHECK(r.metrics.at("wall_ns").min == 100);
  CHECK(r.metrics.at("wall_ns").samples == std::vector<double>{300, 100, 200});
  CHECK(r.metrics.at("allocs").samples == std::vector<double>{10});  // from the counted run alone
}

TEST_CASE("unit_aggregate_never_takes_a_time_from_the_counted_run") {
  auto counted = counted_repetition("x");  // its wall_ns is 999
  Result r = aggregate({measured_repetition("x", 100)}, &counted);
  CHECK(r.metrics.at("wall_ns").samples == std::vector<double>{100});
  Result uncounted = aggregate({measured_repetition("x", 100)}, nullptr);
  CHECK_FALSE(uncounted.counting);
  CHECK(uncounted.metrics.count("allocs") == 0);
  CHECK(r.params == std::map<std::string, int64_t>{{"ops", 10}});
}

TEST_CASE("unit_aggregate_takes_call_times_from_the_latency_repetitions_and_nothing_else") {
  auto latency = [](double p99) {
    Repetition r = measured_repetition("x", 5000);  // slowed by its timer: never a time of the result
    r.metrics["malloc_p99_ns"] = p99;
    r.metrics["malloc_le_64_p99_ns"] = p99 / 2;
    for (int i = 0; i < 10; ++i) r.slow_calls.push_back({"malloc", 64, 0, p99 * 100 - i, i % 2 == 0, 0});
    return r;
  };
  auto counted = counted_repetition("x");
  counted.metrics["malloc_p99_ns"] = 7;  // a stray one from elsewhere is not a sample
  Result r = aggregate({measured_repetition("x", 100), measured_repetition("x", 200)}, &counted, {latency(40), latency(60)});
  CHECK(r.reps == 2);
  CHECK(r.metrics.at("wall_ns").samples == std::vector<double>{100, 200});
  CHECK(r.metrics.at("malloc_p99_ns").samples == std::vector<double>{40, 60});
  CHECK(r.metrics.at("malloc_le_64_p99_ns").samples == std::vector<double>{20, 30});
  // The slowest calls of both, slowest first, each with its repetition: 16 of the 20.
  REQUIRE(r.slow_calls.size() == slow_calls_kept);
  CHECK(r.slow_calls.front().ns == 6000);
  CHECK(r.slow_calls.front().rep == 2);
  CHECK(r.slow_calls[10].ns == 4000);
  CHECK(r.slow_calls[10].rep == 1);
  CHECK(r.slow_calls.back().ns == 3995);
  CHECK(r.metrics.at("allocator.resident_bytes").samples.size() == 2);
  Repetition other = latency(50);
  other.checksum = "00000000000000cd";
  CHECK_THROWS_AS(aggregate({measured_repetition("x", 100)}, nullptr, {other}), Error);
}

TEST_CASE("unit_aggregate_rejects_repetitions_that_did_different_work") {
  auto other = measured_repetition("x", 100);
  other.checksum = "00000000000000cd";
  CHECK_THROWS_AS(aggregate({measured_repetition("x", 100), other}, nullptr), Error);
  auto counted = counted_repetition("x");
  counted.checksum = "00000000000000cd";
  CHECK_THROWS_AS(aggregate({measured_repetition("x", 100)}, &counted), Error);
}

// A report goes through its JSON and back unchanged; a broken one is named by its field.
TEST_CASE("unit_repetition_report_round_trips_and_names_the_broken_field") {
  Repetition counted = counted_repetition("x");
  counted.settings = {{"narenas", {"2", "2"}}, {"tcache_count", {"0", std::nullopt}}};
  counted.leak_sites = {{96, 2, {"/lib/x.so+0x10", "/lib/x.so+0x20"}}};
  counted.timeline = {10, {0, 10}, {4096, 8192}, {100, 200}, {20, 30}, {4096, 0}, {5}};
  counted.stats = {{"borrows", 7}};
  counted.slow_calls = {{"free", 0, 1, 2500, std::nullopt, 0}, {"malloc", 4096, 0, 900, true, 0}};
  Repetition back = parse_repetition(repetition_text(counted));
  CHECK(back.slow_calls == counted.slow_calls);
  CHECK(back.settings == counted.settings);
  CHECK(back.metrics == counted.metrics);
  CHECK(back.allocator_stats == counted.allocator_stats);
  CHECK(back.stats == counted.stats);
  CHECK(back.leak_sites == counted.leak_sites);
  CHECK(back.timeline == counted.timeline);
  CHECK(back.checksum == counted.checksum);
  CHECK(back.counting);

  auto error_of = [](const std::string& text) -> std::string {
    try {
      parse_repetition(text);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  auto json_of = [](const Repetition& r) { return nlohmann::json::parse(repetition_text(r)); };
  CHECK(error_of(repetition_text(measured_repetition("x", 1))).empty());
  auto j = json_of(measured_repetition("x", 1));
  j["metrics"].erase("wall_ns");
  CHECK(error_of(j.dump()) == "printed a malformed report: metrics.wall_ns: missing, expected a number");
  j = json_of(measured_repetition("x", 1));
  j["checksum"] = 12;
  CHECK(error_of(j.dump()) == "printed a malformed report: checksum: expected a string, got 12");
  j = json_of(measured_repetition("x", 1));
  j["seed"] = -1;
  CHECK(error_of(j.dump()) == "printed a malformed report: seed: expected a non-negative integer, got -1");
  CHECK(error_of("[]") == "printed a malformed report: expected a JSON object");
  CHECK(error_of("") == "printed no report");
  CHECK(error_of("{\"backend\": ") == "printed a report that is not JSON");
  j = json_of(counted_repetition("x"));
  j["metrics"].erase("allocs");  // a counted run must have every counted metric
  CHECK(error_of(j.dump()) == "printed a malformed report: metrics.allocs: missing, expected a number");
  j = json_of(counted);
  j["slow_calls"][1]["call"] = "mmap";
  CHECK(error_of(j.dump()) == "printed a malformed report: slow_calls[1].call: expected one of malloc, free, realloc, "
                              "calloc, aligned, got \"mmap\"");
  j = json_of(counted);
  j["slow_calls"][0]["faulted"] = "no";
  CHECK(error_of(j.dump()) == "printed a malformed report: slow_calls[0].faulted: expected true or false, got \"no\"");
}

TEST_CASE("unit_results_json_carries_schema_direction_and_determinism") {
  auto counted = counted_repetition("x");
  Results results{{}, {aggregate({measured_repetition("x", 100)}, &counted)}};
  auto j = to_json(results);
  CHECK(j["schema"] == "allocbench-results/1");
  const auto& m = j["results"][0]["metrics"];
  CHECK(m["wall_ns"]["better"] == "lower");
  CHECK(m["wall_ns"]["deterministic"] == false);
  CHECK(m["ops_per_s"]["better"] == "higher");
  CHECK(m["allocs"]["deterministic"] == true);
  CHECK(m["peak_live_bytes"]["deterministic"] == true);
  results.results[0].threads = 4;  // interleavings move the multi-threaded peak
  CHECK(to_json(results)["results"][0]["metrics"]["peak_live_bytes"]["deterministic"] == false);
}
