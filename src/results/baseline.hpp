// Baselines: results files kept in git. Saving merges into the existing file.
#pragma once

#include "results/results.hpp"

#include <compare>
#include <cstdint>
#include <map>
#include <string>

namespace allocbench {

// Everything that defines an entry's work, and how it was measured: entries with one key
// are compared with each other (and must then have done the same work: one checksum).
struct ResultKey {
  std::string backend;  // the full spec: a tuned variant's settings, a preloaded library's path
  std::string workload;
  std::string measure;  // wall or instructions: one baseline can hold both
  std::map<std::string, int64_t> params;
  uint64_t seed = 0;
  unsigned threads = 0;
  std::string directory;  // where a cmd: workload ran: its relative paths mean that
  auto operator<=>(const ResultKey&) const = default;
};
ResultKey key_of(const Result& r);
std::vector<ResultKey> keys_of(const Results& results);

// The entries of `current` replace those of `existing` with the same key; the others are
// kept, each with its own environment. The file's environment is the current one.
// Entries are sorted by key, so that saving the same run twice gives the same bytes.
Results merge_baseline(const Results& existing, const Results& current);

}  // namespace allocbench
