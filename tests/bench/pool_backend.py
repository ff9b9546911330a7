"""`make bench` item 18: the pool backend (src/pool) against the best general-purpose allocator
of each workload, on wall time and on peak RSS: where a hand-written pool wins, and where it
loses. Each workload is one `allocbench run` of every backend, its repetitions interleaved;
a difference counts when a two-sided permutation test of the two sets of repetitions gives
p < 0.01."""
import itertools
import json
import math
import os
import random
import sys
import tempfile

from common import WORKLOADS, allocbench
import instructions
from programs import PROGRAM_ENV, python_work

GENERAL = ["system", "mimalloc", "jemalloc", "tcmalloc"]


def median(result, metric):
    return result["metrics"][metric]["median"]


def u_statistic(a, b):
    return sum((x < y) + 0.5 * (x == y) for x in a for y in b)


def two_sided_p(a, b, draws=20000):
    """Share of the splits of the pooled samples whose U is at least as far from its mean:
    every split when they are few (7 + 7: 3432), else a fixed-seed sample of them."""
    pooled, n = a + b, len(a)
    centre = n * len(b) / 2
    observed = abs(u_statistic(a, b) - centre) - 1e-9

    def extreme(chosen):
        inside = set(chosen)
        return abs(u_statistic([pooled[i] for i in chosen],
                               [pooled[i] for i in range(len(pooled)) if i not in inside]) - centre) >= observed

    if math.comb(len(pooled), n) <= draws:
        splits = list(itertools.combinations(range(len(pooled)), n))
        return sum(map(extreme, splits)) / len(splits)
    rng = random.Random(1)
    hits = sum(extreme(rng.sample(range(len(pooled)), n)) for _ in range(draws))
    return (hits + 1) / (draws + 1)


def against_best(report, pool_spec, metric, unit, scale):
    """'best backend, its median, pool/best, verdict': a win or a loss needs p < 0.01."""
    results = report["results"]
    best = min((r for r in results if r["backend"] in GENERAL), key=lambda r: median(r, metric))
    pool = next(r for r in results if r["backend"] == pool_spec)
    ratio = median(pool, metric) / median(best, metric)
    p = two_sided_p(pool["metrics"][metric]["samples"], best["metrics"][metric]["samples"])
    word = "tie" if p >= 0.01 else "wins" if ratio < 1 else "loses"
    shown = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
    return f"{best['backend']:>8} {median(best, metric) / scale:7.1f} {unit:3} {ratio:5.2f}  {word:5} ({shown})"


def row(label, workload, reps, *args, pool="pool", env=None):
    out, _, _ = allocbench("run", "--workload", workload, "--backend", ",".join([pool] + GENERAL), "--reps",
                           str(reps), "--format", "json", *args, env=env)
    report = json.loads(out)
    print(f"   {label:<36} {against_best(report, pool, 'wall_ns', 'ms', 1e6)}   "
          f"{against_best(report, pool, 'peak_rss_bytes', 'MiB', 2**20)}")


def against_general(reps=11):
    print(f"18. The pool backend against the best general-purpose allocator of each workload: medians of {reps} "
          "interleaved reps; pool / best (< 1: the pool is better); a win or a loss needs p < 0.01\n"
          f"   {'workload':<36} {'fastest':>8} {'time':>11} {'pool/':>5}                   "
          f"{'smallest':>8} {'peak RSS':>11} {'pool/':>5}")
    for workload in WORKLOADS:
        row(workload, workload, reps)
    four = ("small-object-churn", reps, "--threads", "4")
    row("small-object-churn, 4 threads", *four)
    # The thread cache trades memory for time: fewer hand-overs through the global lists.
    row("  the same, pool:thread_cache=16", *four, pool="pool:thread_cache=16")
    row("  the same, pool:thread_cache=512", *four, pool="pool:thread_cache=512")
    with tempfile.TemporaryDirectory(prefix="allocbench-bench-") as tmp:
        script = os.path.join(tmp, "work.py")
        with open(script, "w") as f:
            f.write(python_work(rows=30000, rounds=2))
        trace = os.path.join(tmp, "work.trace")
        allocbench("record", "-o", trace, "--", sys.executable, script, env=PROGRAM_ENV)
        row("CPython json, replayed", f"trace:{trace}", reps)
        row("CPython json, run (cmd:)", f"cmd:{sys.executable} {script}", reps, env=PROGRAM_ENV)
    cycles_against_best()
    print()


def cycles_against_best():
    """The same question without the machine's noise: callgrind's estimated cycles."""
    results, _, _ = instructions.counted(*instructions.params(), "--reps", "1", "--backend",
                                         ",".join(["pool"] + GENERAL))
    print("   callgrind's estimated cycles of the phase (instructions and simulated cache misses; one thread "
          "exact), the CI configuration's parameters:")
    for workload in WORKLOADS:
        rows = [r for r in results if r["workload"] == workload]
        cycles = {r["backend"]: r["metrics"]["est_cycles"]["median"] for r in rows}
        best = min(GENERAL, key=cycles.get)
        print(f"   {workload:<36} {best:>8} {cycles[best] / 1e6:7.1f} M   {cycles['pool'] / cycles[best]:5.2f}")
