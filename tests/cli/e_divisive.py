"""E-Divisive means (Matteson & James 2014, alpha = 1), written again from the paper for
the tests, to check allocbench's own (src/results/change_points.cpp) against: a series of
blocks (the repetitions of each commit), split where the scaled energy distance Q is
largest, kept when a permutation test of the blocks within their segments finds it
significant, and searched again in the parts."""
import itertools
import random


def q_statistic(left, right):
    """Q(X, Y) = m n / (m + n) * (2 E|X-Y| - E|X-X'| - E|Y-Y'|), means over distinct pairs."""
    m, n = len(left), len(right)
    cross = sum(abs(x - y) for x in left for y in right) / (m * n)
    within_x = sum(abs(a - b) for a, b in itertools.combinations(left, 2)) / (m * (m - 1) / 2) if m > 1 else 0
    within_y = sum(abs(a - b) for a, b in itertools.combinations(right, 2)) / (n * (n - 1) / 2) if n > 1 else 0
    return m * n / (m + n) * (2 * cross - within_x - within_y)


def best_split(blocks, bounds, min_blocks=2):
    """(q, at) of the best split of any segment; (-1, None) when none is long enough."""
    best = (-1, None)
    for a, b in zip(bounds, bounds[1:]):
        for t in range(a + min_blocks, b - min_blocks + 1):
            left = [x for block in blocks[a:t] for x in block]
            right = [x for block in blocks[t:b] for x in block]
            q = q_statistic(left, right)
            if q > best[0]:
                best = (q, t)
    return best


def e_divisive(blocks, alpha=0.01, permutations=999, seed=1, min_blocks=2):
    """[(at, q, p)] of the significant splits, by position."""
    rng = random.Random(seed)
    bounds = [0, len(blocks)]
    found = []
    while True:
        q, at = best_split(blocks, bounds, min_blocks)
        if at is None:
            break
        as_large = 0
        for _ in range(permutations):
            shuffled = list(blocks)
            for a, b in zip(bounds, bounds[1:]):
                part = shuffled[a:b]
                rng.shuffle(part)
                shuffled[a:b] = part
            as_large += best_split(shuffled, bounds, min_blocks)[0] >= q - 1e-12 * abs(q)
        p = (as_large + 1) / (permutations + 1)
        if p > alpha:
            break
        found.append((at, q, p))
        bounds = sorted(bounds + [at])
    return sorted(found)
