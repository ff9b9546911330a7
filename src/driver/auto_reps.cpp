#include "driver/auto_reps.hpp"

#include "results/sequential.hpp"

#include <algorithm>

namespace allocbench {

std::vector<size_t> open_cells(const Plan& plan, const Results& results, const std::optional<CompareReport>& verdict,
                               double alpha) {
  std::vector<bool> open(plan.cells.size(), false);
  auto mark = [&](const std::string& backend, const std::string& workload) {
    for (size_t c = 0; c < plan.cells.size(); ++c)
      if (plan.cells[c].backend.label == backend && plan.cells[c].workload->name == workload) open[c] = true;
  };
  if (verdict) {
    for (const Comparison& row : verdict->rows) {
      if (answer(row) != Answer::open) continue;
      mark(row.key.backend, row.key.workload);
      if (verdict->against == Against::reference) mark(verdict->against_name, row.key.workload);
    }
  } else {
    for (const Rank& rank : rank_backends(results, alpha))
      if (rank.answer == Answer::open) mark(rank.backend, rank.workload);
  }
  std::vector<size_t> cells;
  for (size_t c = 0; c < open.size(); ++c)
    if (open[c]) cells.push_back(c);
  return cells;
}

std::map<RowId, Comparison> run_more_looks(const Plan& plan, Runner& runner, Progress& progress, const Judge& judge,
                                           double alpha, std::chrono::steady_clock::time_point start) {
  std::map<RowId, Comparison> settled;
  std::vector<int> looks = look_sizes(plan.reps, plan.max_reps);
  for (size_t look = 1; look < looks.size() && !runner.stopped(); ++look) {
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    if (plan.max_time_s > 0 && elapsed.count() >= plan.max_time_s) break;
    Results now = runner.outcome().results;
    std::optional<CompareReport> verdict = judge(now);
    if (verdict) {
      for (const Comparison& row : verdict->rows)
        if (!row.metric.empty() && answer(row) != Answer::open) settled.try_emplace({row.key, row.metric}, row);
      // Settled stays settled: a reference's later repetitions do not reopen it.
      std::erase_if(verdict->rows, [&](const Comparison& row) { return settled.count({row.key, row.metric}) > 0; });
    }
    std::vector<size_t> open = open_cells(plan, now, verdict, alpha);
    std::erase_if(open, [&](size_t c) { return runner.failed(c); });
    if (open.empty()) break;
    std::vector<Job> jobs = more_repetitions(plan, open, runner.measured(), looks[look], static_cast<int>(look) + 1);
    progress.add(jobs.size());
    runner.run(jobs);
  }
  return settled;
}

void settle(CompareReport& verdict, const std::map<RowId, Comparison>& settled) {
  for (Comparison& row : verdict.rows)
    if (auto it = settled.find({row.key, row.metric}); it != settled.end()) row = it->second;
  close_open_rows(verdict);
}

}  // namespace allocbench
