#include "common/error.hpp"
#include "results/aggregate.hpp"
#include "results/results_json.hpp"
#include "sample_fixture.hpp"

#include <doctest/doctest.h>

using namespace allocbench;

TEST_CASE("unit_aggregate_summarises_every_metric_over_repetitions") {
  Result r = aggregate({worker_sample("x", 300), worker_sample("x", 100), worker_sample("x", 200)});
  CHECK(r.reps == 3);
  CHECK(r.metrics.at("wall_ns").median == 200);
  CHECK(r.metrics.at("wall_ns").min == 100);
  CHECK(r.metrics.at("wall_ns").samples == std::vector<double>{300, 100, 200});
  CHECK(r.metrics.at("allocs").median == 10);
  CHECK(r.params == std::map<std::string, int64_t>{{"ops", 10}});
}

TEST_CASE("unit_aggregate_rejects_repetitions_that_did_different_work") {
  auto other = worker_sample("x", 100);
  other["checksum"] = "00000000000000cd";
  CHECK_THROWS_AS(aggregate({worker_sample("x", 100), other}), Error);
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
  s = worker_sample("x", 1);
  s["counting"] = false;
  s["metrics"].erase("allocs");  // counted metrics may be absent without counting
  CHECK(validate_sample(s).empty());
}

TEST_CASE("unit_results_json_carries_schema_direction_and_determinism") {
  Results results{{}, {aggregate({worker_sample("x", 100)})}};
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
