// --reps auto in a run: after each look, the cells whose answer is still open get the
// repetitions of the next look, interleaved; the others stop (results/sequential.hpp).
#pragma once

#include "driver/plan.hpp"
#include "driver/progress.hpp"
#include "driver/runner.hpp"
#include "results/compare.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <optional>

namespace allocbench {

// The verdict of results so far: against the baseline or the reference; none for a ranking.
using Judge = std::function<std::optional<CompareReport>(const Results&)>;

// The cells still open: those of open verdict rows (and, against a reference, the
// reference's cell of that workload), or of open ranks when there is no verdict.
std::vector<size_t> open_cells(const Plan& plan, const Results& results, const std::optional<CompareReport>& verdict,
                               double alpha);

// A verdict row by what it judges: an entry and a metric.
using RowId = std::pair<ResultKey, std::string>;

// Runs the looks after the first until no cell is open, or --max-reps is reached, or
// --max-time has passed since `start` (the run's) when a look would begin. Returns each
// verdict row as it stood at the look where its answer became clear: a settled cell gets
// no more repetitions, while the other side of its comparison (a reference) may.
std::map<RowId, Comparison> run_more_looks(const Plan& plan, Runner& runner, Progress& progress, const Judge& judge,
                                           double alpha, std::chrono::steady_clock::time_point start);

// Puts the settled rows back into the final verdict, then calls the rows still open inconclusive.
void settle(CompareReport& verdict, const std::map<RowId, Comparison>& settled);

}  // namespace allocbench
