#include "common/atomic_file.hpp"
#include "results/aggregate.hpp"
#include "results/baseline.hpp"
#include "results/results_file.hpp"
#include "repetition_fixture.hpp"

#include <nlohmann/json.hpp>

#include <doctest/doctest.h>

#include <filesystem>

using namespace allocbench;

namespace {
Result cell(const std::string& backend, double wall, const std::string& workload = "w") {
  auto counted = counted_repetition(backend, workload);
  return aggregate({measured_repetition(backend, wall, workload)}, &counted);
}
}  // namespace

TEST_CASE("unit_baseline_merge_replaces_what_ran_and_keeps_the_rest_sorted") {
  Results old{{}, {cell("b", 100), cell("a", 100, "z"), cell("a", 100)}};
  Results now{{}, {cell("b", 200)}};
  now.environment.cpu = "now";
  Results merged = merge_baseline(old, now);
  REQUIRE(merged.results.size() == 3);
  CHECK(merged.environment.cpu == "now");
  CHECK(merged.results[0].backend == "a");
  CHECK(merged.results[1].backend == "b");
  CHECK(merged.results[1].metrics.at("wall_ns").median == 200);  // replaced
  CHECK(merged.results[2].workload == "z");                       // kept
  // Different params are a different entry.
  Results other = now;
  other.results[0].params["ops"] = 99;
  CHECK(merge_baseline(merged, other).results.size() == 4);
}

TEST_CASE("unit_baseline_file_round_trips_byte_for_byte") {
  Results r{{}, {cell("b", 100), cell("a", 123.5)}};
  r.environment.cpu = "cpu";
  r.environment.cores = 2;
  r.results[0].settings = {{"narenas", {"2", "2"}}, {"tcache_count", {"0", std::nullopt}}};
  auto path = (std::filesystem::temp_directory_path() / "allocbench-unit-roundtrip.json").string();
  std::string text = results_file_text(merge_baseline({}, r));
  write_file_atomically(path, text, "--save-baseline");
  Results back = read_results_file(path, "baseline");
  CHECK(results_file_text(merge_baseline({}, back)) == text);
  CHECK(back.results[1].metrics.at("wall_ns").samples == std::vector<double>{100});
  CHECK(text.find("\"allocs\": {") != std::string::npos);
  // Allocator statistics have their own object in the file, and are metrics again when read.
  CHECK(text.find("\"allocator_stats\": {\n") != std::string::npos);
  CHECK(back.results[0].metrics.at("allocator.resident_bytes").median == 16384);
  CHECK(back.results[1].settings == r.results[0].settings);  // sorted: "a" first
  CHECK(text.find("\"median\": 10,") != std::string::npos);  // counts stay integers
  std::filesystem::remove(path);
}

TEST_CASE("unit_baseline_merge_keeps_each_entrys_environment") {
  Result kept = cell("elsewhere", 100), rerun = cell("here", 100);
  kept.environment.cpu = "another cpu";
  Results old{{}, {kept, rerun}};
  old.environment.cpu = "another cpu";
  Result fresh = cell("here", 90);
  fresh.environment.cpu = "this cpu";
  Results now{{}, {fresh}};
  now.environment.cpu = "this cpu";
  Results merged = merge_baseline(old, now);
  REQUIRE(merged.results.size() == 2);
  CHECK(merged.environment.cpu == "this cpu");
  CHECK(merged.results[0].backend == "elsewhere");
  CHECK(merged.results[0].environment.cpu == "another cpu");  // kept as it was recorded
  CHECK(merged.results[1].environment.cpu == "this cpu");

  // Written and read back, each entry keeps its own; an entry written without one (older
  // files) takes the file's.
  auto path = (std::filesystem::temp_directory_path() / "allocbench-unit-environments.json").string();
  write_file_atomically(path, results_file_text(merged), "--save-baseline");
  Results back = read_results_file(path, "baseline");
  CHECK(back.results[0].environment.cpu == "another cpu");
  CHECK(back.results[1].environment.cpu == "this cpu");
  auto json = nlohmann::json::parse(results_file_text(merged));
  json["results"][0].erase("environment");
  write_file_atomically(path, json.dump(), "--save-baseline");
  CHECK(read_results_file(path, "baseline").results[0].environment.cpu == "this cpu");
  std::filesystem::remove(path);
}

TEST_CASE("unit_baseline_entries_differing_in_seed_or_threads_are_kept_apart") {
  Result one = cell("a", 100), seven = cell("a", 100);
  seven.seed = 7;
  Results merged = merge_baseline(Results{{}, {one}}, Results{{}, {seven}});
  CHECK(merged.results.size() == 2);
  seven.seed = 1;
  seven.threads = 2;
  CHECK(merge_baseline(merged, Results{{}, {seven}}).results.size() == 3);
}
