// Change points in a series of measurements taken commit after commit: E-Divisive means
// (Matteson & James 2014, "A nonparametric approach for multiple change point analysis of
// multivariate data", with alpha = 1), as MongoDB's performance CI uses it. Each commit
// is a block of repetitions; a change point falls between two commits.
//
// The divisive search: in every segment found so far, the split that maximises the
// scaled energy distance Q between the samples before and after it; the best split of all
// is kept when a permutation test finds it significant (the commits' blocks shuffled
// within each segment, so that the repetitions of one commit stay together, as they
// share one machine state), and the search goes on in the two halves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace allocbench {

struct Split {
  size_t at = 0;  // the first block after the change
  double q = 0;   // the statistic of Matteson & James
  double p = 1;   // from the permutation test
};

struct EDivisive {
  double alpha = 0.01;     // a split is kept at p <= alpha: a false one in about a hundred series
  int permutations = 999;  // p's resolution is 1 / (permutations + 1)
  uint64_t seed = 1;       // the permutations are drawn from it: the same series, the same answer
  size_t min_blocks = 2;   // each side of a split has at least this many commits
};

// Q of splitting `blocks` at `at` (blocks [0, at) against [at, n)).
double energy_statistic(const std::vector<std::vector<double>>& blocks, size_t at);

// The significant splits, ordered by `at`.
std::vector<Split> e_divisive(const std::vector<std::vector<double>>& blocks, const EDivisive& options = {});

}  // namespace allocbench
