#include "common/error.hpp"
#include "driver/callgrind.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace allocbench;

namespace {

// The head and tail of a real callgrind 3.19 output file of a worker whose phase was
// bracketed by client requests (--instr-atstart=no): the summary line is written at
// the start, when nothing has been counted; the totals line at the end.
const char* const output = R"(# callgrind format
version: 1
creator: callgrind-3.19.0
cmd:  allocbench-worker-system --workload small-object-churn --param ops=1000
part: 1

desc: I1 cache: 32768 B, 64 B, 8-way associative
desc: D1 cache: 32768 B, 64 B, 8-way associative
desc: LL cache: 8388608 B, 64 B, 16-way associative

positions: line
events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw
summary: 0

ob=/usr/lib/x86_64-linux-gnu/libc.so.6
fn=mprotect
117 44 0 0 1 0 0 1
events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw
summary: 0
totals: 355051 80208 48896 175 2750 2952 175 2316 2835
)";

}  // namespace

TEST_CASE("unit_callgrind_costs_come_from_the_totals") {
  auto costs = callgrind_costs(output, "cg.out");
  CHECK(costs["instructions"] == 355051);
  CHECK(costs["l1_misses"] == 175 + 2750 + 2952);
  CHECK(costs["ll_misses"] == 175 + 2316 + 2835);
  // L1 hits + 5 x LL hits + 35 x RAM: (484155 - 5877) + 5 x (5877 - 5326) + 35 x 5326
  CHECK(costs["est_cycles"] == (484155 - 5877) + 5 * (5877 - 5326) + 35 * 5326);
}

TEST_CASE("unit_callgrind_without_totals_is_a_failed_run") {
  CHECK_THROWS_WITH_AS(callgrind_costs("events: Ir\nsummary: 0\n", "cg.out"),
                       doctest::Contains("callgrind's output 'cg.out' has no total of Dr"), Error);
  CHECK_THROWS_AS(callgrind_costs("", "cg.out"), Error);
  CHECK_THROWS_WITH_AS(callgrind_costs("events: Ir Dr\ntotals: 12 lots\n", "cg.out"),
                       doctest::Contains("expected a count, got 'lots'"), Error);
  CHECK_THROWS_AS(callgrind_costs("events: Ir\ntotals: 99999999999999999999999\n", "cg.out"), Error);
}

TEST_CASE("unit_callgrind_runs_with_the_fixed_caches") {
  std::vector<std::string> argv = callgrind_command({"valgrind", "valgrind-3.19.0"}, "/tmp/x.out");
  auto has = [&](const std::string& arg) { return std::find(argv.begin(), argv.end(), arg) != argv.end(); };
  CHECK(argv.front() == "valgrind");
  CHECK(has("--tool=callgrind"));
  CHECK(has("--instr-atstart=no"));
  CHECK(has("--cache-sim=yes"));
  CHECK(has("--fair-sched=yes"));
  CHECK(has("--I1=32768,8,64"));
  CHECK(has("--D1=32768,8,64"));
  CHECK(has("--LL=8388608,16,64"));
  CHECK(has("--callgrind-out-file=/tmp/x.out"));
}
