// Results and baseline files on disk: read with every field checked, written atomically.
#pragma once

#include "results/results.hpp"

#include <string>
#include <string_view>

namespace allocbench {

// Reads a results file (a baseline is one). `role` names it in errors ("baseline",
// "results"): `baseline 'b.json': results[3].metrics.wall_ns.median: expected a
// non-negative number, got "fast"`. Every failure is a usage error (exit 2); the file is
// only read.
Results read_results_file(const std::string& path, std::string_view role);

// The same checks on text already in memory; `path` only names it in errors.
Results parse_results_text(const std::string& text, const std::string& path, std::string_view role);

// Sorted keys and a fixed layout, so that a diff of two files shows only what changed.
std::string results_file_text(const Results& results);

}  // namespace allocbench
