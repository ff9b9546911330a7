// --reps auto: repetitions in rounds until each cell's answer is clear, as Chromium's
// Pinpoint does it: a change is "different" (confirmed beyond the threshold), "same" (its
// interval lies within the threshold) or still open, and open cells get more repetitions.
//
// Looking after every round would inflate false alarms, so alpha is split evenly over the
// looks the bounds allow (Bonferroni): each look tests at alpha / looks, and the chance
// of any false alarm over all of them stays below alpha. The counts double at each look
// (5, 10, 20, 40): few looks, so each keeps most of alpha.
#pragma once

#include "results/compare.hpp"
#include "results/results.hpp"
#include "results/statistics.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace allocbench {

constexpr int auto_reps_start = 5;
constexpr int auto_reps_max = 40;

// The repetition counts at which answers are looked at: `start`, doubling, up to `max`.
std::vector<int> look_sizes(int start, int max);

// Each look's share of `alpha`.
double alpha_per_look(double alpha, size_t looks);

enum class Answer { different, same, open };
std::string_view to_string(Answer a);

// A verdict's answer: different when a test confirmed a change beyond the threshold, same
// when its interval lies within the threshold, else open. Deterministic, bounded and
// ungated rows are answered by their kind.
Answer answer(const Comparison& row);

// After the last look: the rows still open become inconclusive.
void close_open_rows(CompareReport& report);

// Without a baseline the question is the ranking: each backend against the fastest of its
// workload, with the same test. "same" is within ranking_margin either way: closer than
// that, which is faster hardly matters when choosing, and this machine cannot tell.
constexpr double ranking_margin = 0.03;

struct Rank {
  std::string workload, backend, fastest;
  size_t samples = 0;
  double ratio = 1;  // median time over the fastest's
  double p = 1;      // one-sided U: slower than the fastest
  RatioInterval interval{1, 1};
  Answer answer = Answer::same;
  bool is_fastest = false;  // its answer: open while any other of its workload is
};

std::vector<Rank> rank_backends(const Results& results, double alpha, double margin = ranking_margin);

}  // namespace allocbench
