"""`make bench` item 21: `history` on real histories. The allocator repository of the CLI
tests (16 commits, one adding ~2% instructions per call, one that does not build) is
measured at every commit, its baseline committed each time; `history --git` must name the
commit, and E-Divisive's change points on the wall-time series must agree with the
paper's algorithm written again in Python (tests/cli/e_divisive.py). Then 50 identical
wall-time runs: how many change points a flat, noisy series gives."""
import json
import os
import subprocess
import sys
import tempfile

from common import allocbench

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
import e_divisive  # noqa: E402
from allocator_repo import BUILD, allocator_repo, commit_file, git, new_repo  # noqa: E402

CHURN = ["--workload", "small-object-churn", "--param", "small-object-churn.ops=200000"]


def real_history():
    print(f"21. history on real histories (E-Divisive, 999 permutations, p <= 0.01)")
    with tempfile.TemporaryDirectory() as d:
        repo, good, commits = allocator_repo(os.path.join(d, "alloc"))
        ci = new_repo(os.path.join(d, "ci"))
        baseline = os.path.join(ci, "baseline.json")
        for commit in [good] + commits:
            git(repo, "checkout", "-q", commit)
            if subprocess.run(BUILD, shell=True, cwd=repo, capture_output=True).returncode != 0:
                continue
            if os.path.exists(baseline):
                os.remove(baseline)
            lib = f"preload:{os.path.join(repo, 'liballoc.so')}"
            for measure in (["--measure", "instructions", "--reps", "1"], ["--reps", "5"]):
                allocbench("run", "--backend", lib, *CHURN, *measure, "--save-baseline", baseline)
            commit_file(ci, "baseline.json", open(baseline).read(), git(repo, "log", "-1", "--format=%s"))
        out, took, code = allocbench("history", "--git", baseline, "--format", "json", ok=(0, 1))
        report = json.loads(out)
        subjects = [p["subject"] for p in report["points"]]
        for s in report["series"]:
            if s["metric"] not in ("instructions", "wall_ns"):
                continue
            found = [f"{subjects[c['point']]!r} {c['change'] * 100:+.1f}% (p = {c['p']:.3f})" for c in s["changes"]]
            print(f"    {s['metric']:<13} ({s['measure']}): {', '.join(found) or 'no change point'}")
            if s["metric"] == "wall_ns":
                theirs = e_divisive.e_divisive(s["samples"])
                ours = [c["point"] - s["from_point"] for c in s["changes"]]
                print(f"      the Python implementation: {[subjects[s['points'][a]] for a, _, _ in theirs] or 'no change point'}"
                      f" — {'agrees' if ours == [a for a, _, _ in theirs] else 'DISAGREES'}")
        print(f"    {len(report['points'])} committed baselines, exit {code}, {took:.1f} s; the slower commit is "
              f"{'found' if any(subjects[c['point']] == 'count every call' for s in report['series'] for c in s['changes'] if s['metric'] == 'instructions') else 'MISSED'}")


def flat_series(runs=50):
    with tempfile.TemporaryDirectory() as d:
        for i in range(runs):
            out, _, _ = allocbench("run", "--backend", "system", *CHURN, "--reps", "5", "--format", "json")
            with open(os.path.join(d, f"{i:03d}.json"), "w") as f:
                f.write(out)
        out, _, code = allocbench("history", d, "--metric", "wall_ns", "--format", "json", ok=(0, 1))
        changes = json.loads(out)["series"][0]["changes"]
        print(f"    a flat series: {runs} identical runs of system on small-object-churn (5 reps each): "
              f"{len(changes)} change point{'s' if len(changes) != 1 else ''} "
              f"{[round(c['change'] * 100, 1) for c in changes] if changes else ''}(goal: none)\n")


def run():
    real_history()
    flat_series()
