// The verdict report: what `compare`, `run --baseline` and `run --reference` print.
#pragma once

#include "results/compare.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace allocbench {

std::string verdict_table(const CompareReport& report);
std::string verdict_markdown(const CompareReport& report);
nlohmann::json verdict_json(const CompareReport& report);

// By format name: table, markdown or json; a usage error names `flag` otherwise.
std::string render_verdict(const CompareReport& report, std::string_view format, std::string_view flag = "--format");

// One line for stderr: "2 regressions beyond the threshold against baseline 'b.json'".
std::string verdict_summary(const CompareReport& report);

}  // namespace allocbench
