#include "common/error.hpp"
#include "workloads/params.hpp"

#include <doctest/doctest.h>

using namespace allocbench;

namespace {
const std::vector<ParamSpec> specs{
    {"ops", ValueType::count, 100, 1, 1000, "steps"},
    {"size", ValueType::bytes, 64, 16, 1 << 20, "bytes"},
};

std::string error_of(const std::map<std::string, std::string>& overrides) {
  try {
    resolve_params("w", specs, overrides);
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::bad_input);
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("unit_params_defaults_fill_every_parameter") {
  CHECK(resolve_params("w", specs, {}) == ParamValues{{"ops", 100}, {"size", 64}});
}

TEST_CASE("unit_params_bytes_accept_binary_suffixes") {
  CHECK(resolve_params("w", specs, {{"size", "4K"}}).at("size") == 4096);
  CHECK(resolve_params("w", specs, {{"size", "1m"}}).at("size") == 1 << 20);
  CHECK(error_of({{"ops", "4K"}}) == "--param w.ops: expected an integer from 1 to 1000, got '4K'");
}

TEST_CASE("unit_params_out_of_range_and_garbage_name_the_flag_and_bounds") {
  CHECK(error_of({{"ops", "0"}}) == "--param w.ops: expected an integer from 1 to 1000, got '0'");
  CHECK(error_of({{"ops", "1001"}}) == "--param w.ops: expected an integer from 1 to 1000, got '1001'");
  CHECK(error_of({{"ops", "12x"}}) == "--param w.ops: expected an integer from 1 to 1000, got '12x'");
  CHECK(error_of({{"ops", ""}}) == "--param w.ops: expected an integer from 1 to 1000, got ''");
  CHECK(error_of({{"size", "99999999999999999999G"}}).find("expected a byte size from 16 to 1048576") !=
        std::string::npos);
  CHECK(error_of({{"size", "9000000000000G"}}).find("got '9000000000000G'") != std::string::npos);
}

TEST_CASE("unit_params_unknown_name_lists_known_ones") {
  CHECK(error_of({{"opz", "1"}}) == "--param w.opz: unknown parameter of workload 'w'; known: ops, size");
}
