#include "common/error.hpp"
#include "driver/plan.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <tuple>

using namespace allocbench;

namespace {
std::vector<std::tuple<size_t, int, JobKind, int>> layout(const Plan& p) {
  std::vector<std::tuple<size_t, int, JobKind, int>> out;
  for (const auto& j : p.jobs) out.emplace_back(j.cell, j.round, j.kind, j.index);
  return out;
}
}  // namespace

TEST_CASE("unit_plan_interleaves_rounds_across_cells_the_first_warmup_counted") {
  RunOptions o;
  o.backends = {"system"};
  o.workloads = {"small-object-churn", "empty"};
  o.reps = "2";
  o.warmup = 2;
  using K = JobKind;
  CHECK(layout(make_plan(o)) == std::vector<std::tuple<size_t, int, JobKind, int>>{
                                    {0, 0, K::counted, 1}, {1, 0, K::counted, 1},
                                    {0, 1, K::warmup, 1},  {1, 1, K::warmup, 1},
                                    {0, 2, K::measured, 1}, {1, 2, K::measured, 1},
                                    {0, 3, K::measured, 2}, {1, 3, K::measured, 2}});
  auto argv = worker_argv(make_plan(o), make_plan(o).jobs[0]);
  CHECK(std::find(argv.begin(), argv.end(), "on") != argv.end());
}

TEST_CASE("unit_plan_counted_round_is_added_without_warmup_and_dropped_without_counting") {
  RunOptions o;
  o.backends = {"system"};
  o.workloads = {"empty"};
  o.reps = "1";
  o.warmup = 0;
  using K = JobKind;
  CHECK(layout(make_plan(o)) ==
        std::vector<std::tuple<size_t, int, JobKind, int>>{{0, 0, K::counted, 1}, {0, 1, K::measured, 1}});
  o.counting = "off";
  o.warmup = 1;
  Plan p = make_plan(o);
  CHECK(layout(p) == std::vector<std::tuple<size_t, int, JobKind, int>>{{0, 0, K::warmup, 1}, {0, 1, K::measured, 1}});
  auto argv = worker_argv(p, p.jobs[1]);
  CHECK(std::find(argv.begin(), argv.end(), "off") != argv.end());
}

TEST_CASE("unit_plan_params_reach_their_workload_only") {
  RunOptions o;
  o.backends = {"system"};
  o.workloads = {"small-object-churn", "empty"};
  o.params = {"small-object-churn.ops=123", "small-object-churn.max_size=2K"};
  Plan p = make_plan(o);
  CHECK(p.cells[0].params.at("ops") == 123);
  CHECK(p.cells[0].params.at("max_size") == 2048);
  CHECK(p.cells[1].params.empty());
  auto argv = worker_argv(p, p.jobs[0]);
  CHECK(std::find(argv.begin(), argv.end(), "ops=123") != argv.end());
}

TEST_CASE("unit_plan_all_means_the_standard_workloads") {
  RunOptions o;
  o.backends = {"system"};
  Plan p = make_plan(o);
  std::vector<std::string_view> names;
  for (const auto& c : p.cells) names.push_back(c.workload->name);
  CHECK(names == std::vector<std::string_view>{"small-object-churn", "connection-pool", "pool-contention", "fragmentation"});
}

TEST_CASE("unit_plan_rejects_bad_selections_naming_the_flag") {
  auto error_of = [](RunOptions o) -> std::string {
    try {
      make_plan(o);
    } catch (const Error& e) {
      CHECK(e.code() == ExitCode::bad_input);
      return e.what();
    }
    return "";
  };
  RunOptions o;
  o.backends = {"nosuch"};
  CHECK(error_of(o).rfind("--backend: unknown backend 'nosuch'; built: system", 0) == 0);
  o = {};
  o.workloads = {"nosuch"};
  CHECK(error_of(o).rfind("--workload: unknown workload 'nosuch'; known: small-object-churn, connection-pool, "
                          "pool-contention, fragmentation, empty", 0) == 0);
  o = {};
  o.workloads = {"empty"};
  o.params = {"small-object-churn.ops=1"};
  CHECK(error_of(o) == "--param 'small-object-churn.ops=1': workload 'small-object-churn' is not selected by --workload");
  o = {};
  o.params = {"ops=1"};
  CHECK(error_of(o) == "--param 'ops=1': expected WORKLOAD.NAME=VALUE, e.g. small-object-churn.ops=1000000");
  o = {};
  o.params = {"small-object-churn.ops=1", "small-object-churn.ops=2"};
  CHECK(error_of(o) == "--param 'small-object-churn.ops=2': small-object-churn.ops is given twice");
  o = {};
  o.backends = {"system", "system"};
  CHECK(error_of(o) == "--backend: 'system' is listed twice");
  o = {};
  o.format = "xml";
  CHECK(error_of(o).rfind("--format: unknown format 'xml'", 0) == 0);
}

TEST_CASE("unit_plan_auto_reps_starts_with_five_and_more_repetitions_interleave_the_open_cells") {
  RunOptions o;
  o.backends = {"system"};  // the one backend a sanitizer build has
  o.workloads = {"empty", "small-object-churn"};
  o.reps = "auto";
  Plan p = make_plan(o);
  CHECK(p.auto_reps);
  CHECK(p.reps == 5);
  CHECK(p.max_reps == 40);
  CHECK(std::count_if(p.jobs.begin(), p.jobs.end(), [](const Job& j) { return j.kind == JobKind::measured; }) == 10);
  // Cell 0 has 5 and cell 1 has 7 (it was open at an earlier look, say): both go to 10.
  std::vector<Job> more = more_repetitions(p, {0, 1}, {5, 7}, 10, 2);
  std::vector<std::pair<size_t, int>> order;
  for (const Job& j : more) {
    CHECK(j.kind == JobKind::measured);
    CHECK(j.look == 2);
    order.emplace_back(j.cell, j.index);
  }
  CHECK(order == std::vector<std::pair<size_t, int>>{{0, 6}, {0, 7}, {0, 8}, {1, 8}, {0, 9}, {1, 9}, {0, 10}, {1, 10}});
  CHECK(more_repetitions(p, {1}, {5, 10}, 10, 3).empty());
}

TEST_CASE("unit_plan_latency_runs_a_latency_repetition_beside_each_measured_one") {
  RunOptions o;
  o.backends = {"system"};
  o.workloads = {"empty", "small-object-churn"};
  o.reps = "3";
  o.latency = true;
  Plan p = make_plan(o);
  std::vector<std::pair<JobKind, int>> cell0;
  for (const Job& j : p.jobs)
    if (j.cell == 0) cell0.emplace_back(j.kind, j.index);
  CHECK(cell0 == std::vector<std::pair<JobKind, int>>{{JobKind::counted, 1}, {JobKind::measured, 1}, {JobKind::latency, 1},
                                                      {JobKind::measured, 2}, {JobKind::latency, 2}, {JobKind::measured, 3},
                                                      {JobKind::latency, 3}});
  auto has = [](const std::vector<std::string>& argv, const char* flag) {
    return std::find(argv.begin(), argv.end(), flag) != argv.end();
  };
  for (const Job& j : p.jobs) {
    std::vector<std::string> argv = worker_argv(p, j);
    CHECK(has(argv, "--latency") == (j.kind == JobKind::latency));
  }
  // --reps auto adds both, interleaved by repetition.
  std::vector<std::pair<size_t, JobKind>> more;
  for (const Job& j : more_repetitions(p, {0, 1}, {3, 3}, 4, 2)) more.emplace_back(j.cell, j.kind);
  CHECK(more == std::vector<std::pair<size_t, JobKind>>{
                    {0, JobKind::measured}, {1, JobKind::measured}, {0, JobKind::latency}, {1, JobKind::latency}});
}
