#include "results/baseline.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace allocbench {

ResultKey key_of(const Result& r) {
  return {r.backend, r.workload, r.measure, r.params, r.seed, r.threads, r.directory};
}

std::vector<ResultKey> keys_of(const Results& results) {
  std::vector<ResultKey> keys;
  for (const auto& r : results.results) keys.push_back(key_of(r));
  return keys;
}

std::string params_text(const std::map<std::string, int64_t>& params, const char* separator) {
  std::string text;
  for (const auto& [k, v] : params) text += fmt::format("{}{}={}", text.empty() ? "" : separator, k, v);
  return text;
}

Results merge_baseline(const Results& existing, const Results& current) {
  std::map<ResultKey, Result> merged;
  for (const auto& r : existing.results) merged[key_of(r)] = r;
  for (const auto& r : current.results) merged[key_of(r)] = r;
  Results out{current.environment, {}};
  for (auto& [key, r] : merged) out.results.push_back(std::move(r));
  std::stable_sort(out.results.begin(), out.results.end(), [](const Result& a, const Result& b) {
    return std::tie(a.workload, a.directory, a.backend, a.measure, a.params, a.seed, a.threads) <
           std::tie(b.workload, b.directory, b.backend, b.measure, b.params, b.seed, b.threads);
  });
  return out;
}

}  // namespace allocbench
