#!/usr/bin/python3
"""Reference p-values for tests/unit/statistics.cpp, from scipy (Debian: python3-scipy).

Run by hand when cases change; the unit test holds the printed figures. Each p is the
one-sided p of `b` tending to be greater (or less) than `a`:
- exact cases: scipy.stats.permutation_test over every split of the pooled values, with
  b's rank sum (mid-ranks for ties) as the statistic: the exact conditional distribution;
- no ties, up to 20 a side: scipy.stats.mannwhitneyu(method="exact") as well;
- large tied cases: permutation_test with 10^6 random splits (about ±0.001);
- beyond the exact range: mannwhitneyu(method="asymptotic"), tie and continuity corrected.
"""
import math

import numpy as np
from scipy import stats

CASES = {
    "separated_3v3": ([1, 2, 3], [4, 5, 6]),
    "separated_3v4": ([1, 2, 3], [4, 5, 6, 7]),
    "one_overlap_5v5": ([1, 2, 3, 4, 6], [5, 7, 8, 9, 10]),
    "lucky_baseline_9v9": ([40, 120, 121, 122, 123, 124, 125, 126, 127], [60, 61, 62, 63, 64, 65, 66, 67, 200]),
    "lucky_current_9v9": ([100, 101, 102, 103, 104, 105, 106, 107, 108], [70, 150, 151, 152, 153, 154, 155, 156, 157]),
    "interleaved_12v15": ([3, 7, 11, 14, 18, 22, 25, 29, 33, 36, 40, 44],
                          [1, 5, 9, 13, 16, 20, 24, 27, 31, 35, 38, 42, 46, 48, 50]),
    "shifted_20v20": (list(range(100, 140, 2)), list(range(105, 145, 2))),
    "page_rss_5v5": ([1228800, 1232896, 1232896, 1236992, 1236992], [1236992, 1236992, 1241088, 1241088, 1241088]),
    "all_equal_5v5": ([7] * 5, [7] * 5),
    "bimodal_6v7": ([10, 10, 10, 20, 20, 20], [10, 10, 20, 20, 20, 20, 20]),
    "ties_3v3": ([1, 2, 2], [2, 3, 3]),
    "ties_8v10": ([1, 1, 2, 2, 2, 3, 3, 4], [2, 2, 3, 3, 3, 4, 4, 4, 4, 1]),
    "ties_4v16": ([5, 5, 6, 7], [5, 6, 6, 7, 7, 7, 8, 8, 8, 8, 6, 7, 9, 9, 5, 8]),
    "ties_20v20": ([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4],
                   [6, 2, 6, 4, 3, 3, 8, 3, 2, 7, 9, 5, 0, 2, 8, 8, 4, 1, 9, 7]),
}


def rank_sum(x, y, axis=-1):
    ranks = stats.rankdata(np.concatenate([x, y], axis=axis), axis=axis)
    return ranks[..., x.shape[axis]:].sum(axis=axis)  # the second sample's: b's


def permutation_p(a, b, alternative, resamples):
    # permutation_test's statistic takes samples in the order given: (a, b) -> b's rank sum
    res = stats.permutation_test((np.array(a, float), np.array(b, float)),
                                 lambda x, y, axis: rank_sum(x, y, axis), permutation_type="independent",
                                 alternative=alternative, n_resamples=resamples, vectorized=True,
                                 random_state=np.random.default_rng(1))
    return res.pvalue


for name, (a, b) in CASES.items():
    splits = math.comb(len(a) + len(b), len(b))
    exact = splits <= 2_000_000
    for alternative in ("greater", "less"):
        p = permutation_p(a, b, alternative, np.inf if exact else 1_000_000)
        line = f"{name:20} {alternative:8} p = {p:.6f} ({'exact' if exact else 'monte carlo'})"
        if len(set(a + b)) == len(a + b):
            line += f"  mannwhitneyu exact {stats.mannwhitneyu(b, a, alternative=alternative, method='exact').pvalue:.6f}"
        print(line)

rng = np.random.default_rng(7)
a = list(np.round(rng.normal(100, 3, 60)))
b = list(np.round(rng.normal(101, 3, 60)))
print("asymptotic_60v60 a =", [int(x) for x in a])
print("asymptotic_60v60 b =", [int(x) for x in b])
for alternative in ("greater", "less"):
    print(f"asymptotic_60v60 {alternative} p = "
          f"{stats.mannwhitneyu(b, a, alternative=alternative, method='asymptotic').pvalue:.6f}")
