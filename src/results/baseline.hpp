// Baselines: results files kept in git. Saving merges into the existing file.
#pragma once

#include "results/results.hpp"

#include <map>
#include <string>
#include <tuple>

namespace allocbench {

// What identifies a result across runs: the same backend, workload and parameters.
using ResultKey = std::tuple<std::string, std::string, std::map<std::string, int64_t>>;
ResultKey key_of(const Result& r);

// The entries of `current` replace those of `existing` with the same key; the others are
// kept. The environment is the current one. Entries are sorted by workload, backend and
// parameters, so that saving the same run twice gives the same bytes.
Results merge_baseline(const Results& existing, const Results& current);

}  // namespace allocbench
