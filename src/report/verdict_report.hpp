// The verdict report: what `compare`, `run --baseline` and `run --reference` print. The
// typed verdicts of results/compare.hpp become words here, and only here.
#pragma once

#include "results/compare.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace allocbench {

std::string verdict_table(const CompareReport& report);
std::string verdict_markdown(const CompareReport& report);
// A <section> for the HTML report: the notes and the table, regressions first.
std::string verdict_html(const CompareReport& report);
nlohmann::json verdict_json(const CompareReport& report);

// By format name: table, markdown or json; a usage error names `flag` otherwise.
std::string render_verdict(const CompareReport& report, std::string_view format, std::string_view flag = "--format");

// One line for stderr: "2 regressions beyond the threshold against baseline 'b.json'".
std::string verdict_summary(const CompareReport& report);

// "system · small-object-churn · max_size=1024 ops=8000000 · seed 1 · 1 thread", and
// "· measured by instructions" for an entry measured under callgrind
std::string describe(const ResultKey& key);

// Why a check cannot pass when no entry has a counterpart: the keys of both sides.
std::string unmatched_entries(const std::vector<ResultKey>& current, std::string_view current_name,
                              const std::vector<ResultKey>& baseline, std::string_view baseline_name);

// Why entries that did different work cannot be judged, and what to do.
std::string not_comparable_entries(const CompareReport& report);

// A metric's value in its unit ("812 µs", "3.11 MiB", "772438"), and a change in the bad
// direction as a signed percentage ("+5.4%", "from 0").
std::string metric_value(const std::string& metric, double v);
std::string change_text(double change);

// The verdict's own words for one comparison: "p = 0.008", "deterministic", ...
std::string evidence_text(const Comparison& c);

}  // namespace allocbench
