"""`make bench` items 19 and 20: --reps auto. 19: false alarms and detection of the
sequential wall-time gate against a baseline and against a reference, beside the same
checks at a fixed --reps 5, idle and with one core kept busy. 20: the ranking of every
backend on every workload without a baseline.

Slowdowns come from glibc preloaded with a chain of N dependent additions per call
(tests/programs/slow_malloc.cpp); copies of the library named .spinN. are allocators of
different speeds in one run, and two copies with N = 0 are the same allocator at two paths."""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

from common import SLOW_MALLOC, WORKLOADS, allocbench
from scipy.stats import mannwhitneyu

CHURN = ["--workload", "small-object-churn", "--param", "small-object-churn.ops=300000"]
WALL = ["--metric", "wall_ns"]


def library(directory, name, spins):
    path = os.path.join(directory, f"{name}.spin{spins}.so")
    if not os.path.exists(path):
        shutil.copy(SLOW_MALLOC, path)
    return f"preload:{path}"


def wall_verdict(out):
    report = json.loads(out)
    row = next(c for c in report["comparison"]["comparisons"] if c.get("metric") == "wall_ns")
    return row["verdict"], row["current_samples"], row["change"]


def calibrate_spins(directory, percents, pairs=9):
    """N for each slowdown: the cost of a turn from one side-by-side run at N = 40."""
    plain, slowed = library(directory, "calib", 0), library(directory, "calib", 40)
    out, _, _ = allocbench("run", "--backend", f"{plain},{slowed}", *CHURN, "--reps", str(pairs), "--format", "json")
    medians = {r["backend"]: r["metrics"]["wall_ns"]["median"] for r in json.loads(out)["results"]}
    per_turn = (medians[slowed] / medians[plain] - 1) / 40
    return {p: max(1, round(p / 100 / per_turn)) for p in percents}


def one_set(args, runs):
    """`runs` runs of one check: verdict counts, mean repetitions and seconds."""
    counts, reps, seconds = {}, [], []
    for _ in range(runs):
        out, took, _ = allocbench(*args, "--format", "json", "--inconclusive", "pass", ok=(0, 1)) if "auto" in args \
            else allocbench(*args, "--format", "json", ok=(0, 1))
        verdict, samples, _ = wall_verdict(out)
        counts[verdict] = counts.get(verdict, 0) + 1
        reps.append(samples)
        seconds.append(took)
    return counts, statistics.mean(reps), statistics.mean(seconds)


def describe(counts, runs):
    order = ["regression", "improvement", "unchanged", "inconclusive"]
    return ", ".join(f"{counts.get(v, 0)} {v}" for v in order if counts.get(v, 0)) or "none"


def busy_core():
    """A busy loop on CPU 0 (the other core stays for allocbench and its workers)."""
    return subprocess.Popen(["taskset", "-c", "0", sys.executable, "-c", "while True: pass"])


def gate(runs=20):
    print(f"19. --reps auto (5, 10, 20, 40 repetitions; alpha 0.05 split over the looks) against --reps 5, "
          f"{runs} runs of each check, small-object-churn 300k ops, --metric wall_ns, threshold 5%\n"
          "    (goals: at most 1 false alarm in 20 with auto; with --reference, +20% caught 20/20 and +10% 18/20)")
    with tempfile.TemporaryDirectory() as d:
        spins = calibrate_spins(d, (10, 20))
        same_a, same_b = library(d, "a", 0), library(d, "b", 0)
        baseline = os.path.join(d, "baseline.json")
        allocbench("run", "--backend", same_a, *CHURN, "--reps", "20", "--save-baseline", baseline)
        checks = [("identical, --baseline (20 reps)", ["run", "--backend", same_a, *CHURN, *WALL, "--baseline", baseline]),
                  ("identical, --reference (two paths)",
                   ["run", "--backend", f"{same_a},{same_b}", *CHURN, *WALL, "--reference", same_a])]
        for p, n in spins.items():
            checks.append((f"+{p}% (N = {n}), --reference",
                           ["run", "--backend", f"{same_a},{library(d, 'slow', n)}", *CHURN, *WALL, "--reference", same_a]))
        for load in ("idle", "one core busy"):
            print(f"    {load}:")
            hog = busy_core() if load != "idle" else None
            try:
                for name, args in checks:
                    for reps in ("auto", "5"):
                        counts, mean_reps, mean_s = one_set(args + ["--reps", reps], runs)
                        print(f"      {name:<36} --reps {reps:<4}: {describe(counts, runs):<45} "
                              f"mean reps {mean_reps:4.1f}, {mean_s:.1f} s a run")
            finally:
                if hog:
                    hog.kill()
                    hog.wait()
    print()


def ranking(reps_args=("--reps", "auto")):
    print("20. Ranking with --reps auto: every backend on every workload (a fifth of the default operations), "
          "each against the fastest: slower (p < 0.0125), within ±3%, or open at 40 repetitions")
    params = ["--param", "small-object-churn.ops=1600000", "--param", "connection-pool.requests=60000",
              "--param", "pool-contention.ops=1200000"]
    out, took, _ = allocbench("run", *params, *reps_args, "--format", "json")
    report = json.loads(out)
    reps = {(r["workload"], r["backend"]): r["reps"] for r in report["results"]}
    rows = report["ranking"]["rows"]
    for workload in WORKLOADS:
        mine = [r for r in rows if r["workload"] == workload]
        mine.sort(key=lambda r: r["ratio"])
        text = "; ".join(f"{r['backend']} {r['ratio']:.2f} ({r['answer'] if not r['is_fastest'] else 'fastest'}, "
                         f"{reps[(workload, r['backend'])]} reps)" for r in mine)
        print(f"    {workload}: {text}")
        opened = [r["backend"] for r in mine if r["answer"] == "open" and not r["is_fastest"]]
        print(f"      against the fastest: {'every backend resolved' if not opened else 'open: ' + ', '.join(opened)}")
        # Adjacent pairs, which the rule does not ask about: scipy's two-sided U test of their
        # repetitions at the looks' alpha.
        times = {r["backend"]: r["metrics"]["wall_ns"]["samples"] for r in report["results"] if r["workload"] == workload}
        pairs = []
        for a, b in zip(mine, mine[1:]):
            p = mannwhitneyu(times[a["backend"]], times[b["backend"]], alternative="two-sided").pvalue
            pairs.append(f"{a['backend']}<{b['backend']} p = {p:.4f}{'' if p < 0.0125 else ' (not resolved)'}")
        print(f"      adjacent pairs: {'; '.join(pairs)}")
    total = sum(reps.values())
    print(f"    {total} repetitions in {took:.0f} s ({total / len(reps):.1f} a cell; a fixed --reps 5 takes {5 * len(reps)})\n")
