"""`make bench` item 18: the pool backend (src/pool) against the best general-purpose allocator
of each workload, on wall time and on peak RSS: where a hand-written pool wins, and where it
loses. Each workload is one `allocbench run` of every backend, its repetitions interleaved,
with the pool as the reference of allocbench's own U test (checked against scipy in unit.core)."""
import json
import os
import sys
import tempfile

from common import ALLOCBENCH, WORKLOADS, allocbench
from programs import PROGRAM_ENV, python_work

GENERAL = ["system", "mimalloc", "jemalloc", "tcmalloc"]


def median(result, metric):
    return result["metrics"][metric]["median"]


def against_best(report, metric, unit, scale):
    """'best backend, its median, pool/best, verdict': a win or a loss needs p < 0.01, two-sided."""
    results = report["results"]
    best = min((r for r in results if r["backend"] in GENERAL), key=lambda r: median(r, metric))
    pool = next(r for r in results if r["backend"] == "pool")
    ratio = median(pool, metric) / median(best, metric)
    one_sided = next(c["p"] for c in report["comparison"]["comparisons"]
                     if c["backend"] == best["backend"] and c["metric"] == metric)
    p = min(1, 2 * one_sided)
    word = "tie" if p >= 0.01 else "wins" if ratio < 1 else "loses"
    return f"{best['backend']:>8} {median(best, metric) / scale:7.1f} {unit:3} {ratio:5.2f}  {word:5} (p {p:.3f})"


def row(label, workload, reps, *args, env=None):
    out, _, _ = allocbench("run", "--workload", workload, "--backend", ",".join(["pool"] + GENERAL), "--reps",
                           str(reps), "--reference", "pool", "--format", "json", *args, env=env, ok=(0, 1))
    report = json.loads(out)
    print(f"   {label:<29} {against_best(report, 'wall_ns', 'ms', 1e6)}   "
          f"{against_best(report, 'peak_rss_bytes', 'MiB', 2**20)}")


def against_general(reps=7):
    print(f"18. The pool backend against the best general-purpose allocator of each workload: medians of {reps} "
          "interleaved reps; pool / best (< 1: the pool is better); a win or a loss needs p < 0.01\n"
          f"   {'workload':<29} {'fastest':>8} {'time':>11} {'pool/':>5}                   "
          f"{'smallest':>8} {'peak RSS':>11} {'pool/':>5}")
    for workload in WORKLOADS:
        row(workload, workload, reps)
    row("small-object-churn, 4 threads", "small-object-churn", reps, "--threads", "4")
    with tempfile.TemporaryDirectory(prefix="allocbench-bench-") as tmp:
        script = os.path.join(tmp, "work.py")
        with open(script, "w") as f:
            f.write(python_work(rows=30000, rounds=2))
        trace = os.path.join(tmp, "work.trace")
        allocbench("record", "-o", trace, "--", sys.executable, script, env=PROGRAM_ENV)
        row("CPython json, replayed", f"trace:{trace}", reps)
        row("CPython json, run (cmd:)", f"cmd:{sys.executable} {script}", reps, env=PROGRAM_ENV)
    print()
