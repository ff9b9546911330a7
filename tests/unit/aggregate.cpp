#include "common/error.hpp"
#include "results/aggregate.hpp"
#include "results/results_json.hpp"
#include "sample_fixture.hpp"

#include <doctest/doctest.h>

using namespace allocbench;

TEST_CASE("unit_aggregate_summarises_every_metric_over_repetitions") {
  auto counted = counted_sample("x");
  Result r = aggregate({worker_sample("x", 300), worker_sample("x", 100), worker_sample("x", 200)}, &counted);
  CHECK(r.reps == 3);
  CHECK(r.counting);
  CHECK(r.metrics.at("wall_ns").median == 200);
  CHECK(r.metrics.at("wall_ns").min == 100);
  CHECK(r.metrics.at("wall_ns").samples == std::vector<double>{300, 100, 200});
  CHECK(r.metrics.at("allocs").samples == std::vector<double>{10});  // from the counted run alone
}

TEST_CASE("unit_aggregate_never_takes_a_time_from_the_counted_run") {
  auto counted = counted_sample("x");  // its wall_ns is 999
  Result r = aggregate({worker_sample("x", 100)}, &counted);
  CHECK(r.metrics.at("wall_ns").samples == std::vector<double>{100});
  Result uncounted = aggregate({worker_sample("x", 100)}, nullptr);
  CHECK_FALSE(uncounted.counting);
  CHECK(uncounted.metrics.count("allocs") == 0);
  CHECK(r.params == std::map<std::string, int64_t>{{"ops", 10}});
}

TEST_CASE("unit_aggregate_rejects_repetitions_that_did_different_work") {
  auto other = worker_sample("x", 100);
  other["checksum"] = "00000000000000cd";
  CHECK_THROWS_AS(aggregate({worker_sample("x", 100), other}, nullptr), Error);
  auto counted = counted_sample("x");
  counted["checksum"] = "00000000000000cd";
  CHECK_THROWS_AS(aggregate({worker_sample("x", 100)}, &counted), Error);
}

TEST_CASE("unit_aggregate_validation_names_the_broken_field") {
  CHECK(validate_sample(worker_sample("x", 1)).empty());
  auto s = worker_sample("x", 1);
  s["metrics"].erase("wall_ns");
  CHECK(validate_sample(s) == "metrics.wall_ns: expected a number");
  s = worker_sample("x", 1);
  s["checksum"] = 12;
  CHECK(validate_sample(s) == "checksum: expected a string");
  s = worker_sample("x", 1);
  s["seed"] = -1;
  CHECK(validate_sample(s) == "seed: expected a non-negative integer");
  CHECK(validate_sample(nlohmann::json::array()) == "expected a JSON object");
  s = counted_sample("x");
  CHECK(validate_sample(s).empty());
  s["metrics"].erase("allocs");  // a counted run must have every counted metric
  CHECK(validate_sample(s) == "metrics.allocs: expected a number");
}

TEST_CASE("unit_results_json_carries_schema_direction_and_determinism") {
  auto counted = counted_sample("x");
  Results results{{}, {aggregate({worker_sample("x", 100)}, &counted)}};
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
