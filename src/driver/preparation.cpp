#include "driver/preparation.hpp"

#include "trace/input_file.hpp"
#include "trace/prepared.hpp"
#include "trace/replay_cache.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace allocbench {
namespace {

// Backends with settings get their canonical labels, the same in every cell.
void resolve_backends(Plan& plan) {
  std::vector<BackendSpec> distinct;
  for (const Cell& cell : plan.cells)
    if (std::none_of(distinct.begin(), distinct.end(), [&](auto& b) { return b.label == cell.backend.label; }))
      distinct.push_back(cell.backend);
  std::vector<BackendSpec> resolved = distinct;
  resolve_settings(resolved);
  for (Cell& cell : plan.cells)
    for (size_t i = 0; i < distinct.size(); ++i)
      if (cell.backend.label == distinct[i].label) {
        cell.backend = resolved[i];
        break;
      }
}

void prepare_traces(Plan& plan, const std::string& replay_directory) {
  std::map<std::string_view, std::pair<std::string, unsigned>> prepared;  // by workload: file, threads
  for (Cell& cell : plan.cells) {
    if (cell.workload->kind != WorkloadKind::trace) continue;
    auto [at, fresh] = prepared.try_emplace(cell.workload->name);
    if (fresh) {
      std::string file = trace::prepared_file(trace_path(cell.workload->name), replay_directory);
      unsigned threads = trace::read_prepared(trace::InputFile(file, "prepared replay"), false).header.threads;
      at->second = {file, std::max(1u, threads)};  // a trace of no operations replays on one thread
    }
    std::tie(cell.prepared, cell.threads) = at->second;
  }
}

// The checks that start a backend's worker run once for each backend this run (or shard)
// has, and for no other.
void find_launches(Plan& plan) {
  std::map<std::string, Launch> launches;
  for (Cell& cell : plan.cells)
    if (cell.workload->kind == WorkloadKind::command) {
      auto [at, fresh] = launches.try_emplace(cell.backend.label);
      if (fresh) at->second = launch_of(cell.backend);
      cell.launch = at->second;
    }
}

// valgrind must run every backend's worker, before anything is measured.
void check_callgrind(Plan& plan) {
  plan.callgrind = find_callgrind();
  std::set<std::string> checked;
  for (const Cell& cell : plan.cells)
    if (checked.insert(cell.backend.label).second)
      check_callgrind_runs(*plan.callgrind, identify_argv(cell.backend), worker_environment(cell.backend));
}

}  // namespace

Preparation::Preparation(Plan& plan, bool no_cache) {
  resolve_backends(plan);
  if (no_cache) uncached_.emplace("replay");
  prepare_traces(plan, uncached_ ? uncached_->path() : trace::cache_directory());
  find_launches(plan);
  if (plan.measure == measure_instructions) check_callgrind(plan);
}

}  // namespace allocbench
