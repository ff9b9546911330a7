"""Regressions across commits, with real git: `history` finds the commit where a figure
changed, and the drift no single commit explains; `bisect` builds a small allocator
library commit after commit in a clone of its own and names the commit that made it
slower. E-Divisive is checked against a second implementation written from the paper
(e_divisive.py)."""
import json
import math
import os
import random
import signal
import subprocess
import tempfile
import time
import unittest

import e_divisive
from allocator_repo import BROKEN_AT, BUILD, COMMITS, RUN, SLOWER_AT, allocator_repo, commit_file, git, new_repo
from harness import ALLOCBENCH, BACKENDS, allocbench

def summary(samples):
    s = sorted(samples)
    n = len(s)
    median = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    return {"median": median, "min": s[0], "max": s[-1], "samples": list(samples)}


class Series:
    """Results files made from one real run, with chosen samples of wall_ns and allocs."""

    def __init__(self):
        p = allocbench("run", "--backend", "system", "--workload", "test-slowdown", "--param", "test-slowdown.ops=20000",
                       "--reps", "5", "--format", "json")
        assert p.returncode == 0, p.stderr
        self.template = json.loads(p.stdout)

    def results(self, wall=None, allocs=None):
        report = json.loads(json.dumps(self.template))
        entry = report["results"][0]
        if wall is not None:
            entry["metrics"]["wall_ns"].update(summary(wall))
            entry["reps"] = len(wall)
        if allocs is not None:
            entry["metrics"]["allocs"].update(summary([allocs]))
        return report

    def write(self, directory, points):
        os.makedirs(directory, exist_ok=True)
        for i, report in enumerate(points):
            with open(os.path.join(directory, f"{i:03d}.json"), "w") as f:
                json.dump(report, f)
        return directory


def history_json(*args):
    p = allocbench("history", *args, "--format", "json")
    return p, (json.loads(p.stdout) if p.stdout.startswith("{") else None)


def series_of(report, metric):
    return next(s for s in report["series"] if s["metric"] == metric)


class HistoryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.series = Series()

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def test_git_history_of_a_baseline_finds_the_commit_through_a_rename(self):
        repo = new_repo(os.path.join(self.dir.name, "baselines"))
        commits = []
        rng = random.Random(5)
        for i in range(12):
            allocs = 200000 if i < 6 else 212000  # +6% at commit 6
            wall = [1e7 * rng.lognormvariate(0, 0.02) for _ in range(5)]
            name = "baseline.json" if i < 3 else "ci/baseline.json"
            if i == 3:
                os.makedirs(os.path.join(repo, "ci"))
                git(repo, "mv", "baseline.json", "ci/baseline.json")
            commits.append(commit_file(repo, name, json.dumps(self.series.results(wall, allocs)), f"change {i}"))
        p, report = history_json("--git", os.path.join(repo, "ci", "baseline.json"), "--metric", "allocs,wall_ns")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual([pt["commit"] for pt in report["points"]], commits)  # followed through the rename
        allocs = series_of(report, "allocs")
        self.assertEqual([c["commit"] for c in allocs["changes"]], [commits[6]])
        self.assertAlmostEqual(allocs["changes"][0]["change"], 0.06)
        self.assertTrue(allocs["changes"][0]["regression"])
        self.assertEqual(series_of(report, "wall_ns")["changes"], [])  # flat, noisy
        # --since a commit after the step: nothing changed since.
        p, report = history_json("--git", os.path.join(repo, "ci", "baseline.json"), "--since", commits[6],
                                 "--metric", "allocs")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(report["points"][0]["commit"], commits[6])
        self.assertEqual(len(report["points"]), 6)
        # --since a commit from before the rename: the file under its name there.
        p, report = history_json("--git", os.path.join(repo, "ci", "baseline.json"), "--since", commits[1],
                                 "--metric", "allocs")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual([pt["commit"] for pt in report["points"]], commits[1:])
        self.assertEqual([c["commit"] for c in series_of(report, "allocs")["changes"]], [commits[6]])

    def test_steps_of_one_percent_are_a_drift(self):
        points = [self.series.results(allocs=round(200000 * 1.01 ** min(i, 8))) for i in range(12)]
        p, report = history_json(self.series.write(os.path.join(self.dir.name, "drift"), points), "--metric", "allocs")
        self.assertEqual(p.returncode, 1, p.stderr)
        allocs = series_of(report, "allocs")
        self.assertEqual([c["point"] for c in allocs["changes"]], list(range(1, 9)))
        self.assertFalse(any(c["regression"] for c in allocs["changes"]))  # each +1% passes a 5% gate
        self.assertTrue(allocs["drift"])
        self.assertAlmostEqual(allocs["cumulative"], 1.01 ** 8 - 1, places=3)
        q = allocbench("history", os.path.join(self.dir.name, "drift"), "--metric", "allocs")
        self.assertRegex(q.stdout, r"DRIFT\s+system · test-slowdown")
        html = allocbench("history", os.path.join(self.dir.name, "drift"), "--metric", "allocs", "--format", "html").stdout
        self.assertIn('<tr class="alarm"><td>DRIFT</td>', html)
        self.assertEqual(html.count("<svg"), 1)  # the series over the commits
        self.assertEqual(html.count('stroke-dasharray="4 3"'), 8)  # a dashed line at each change point

    def test_flat_noisy_wall_time_from_real_runs_has_no_change_point(self):
        points = []
        for _ in range(12):
            p = allocbench("run", "--backend", "system", "--workload", "test-slowdown", "--param", "test-slowdown.ops=20000",
                           "--reps", "5", "--format", "json")
            points.append(json.loads(p.stdout))
        p, report = history_json(self.series.write(os.path.join(self.dir.name, "flat"), points), "--metric", "wall_ns")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(series_of(report, "wall_ns")["changes"], [])

    def test_agrees_with_the_papers_algorithm_written_again(self):
        rng = random.Random(9)
        noise = lambda level, n=5: [level * rng.lognormvariate(0, 0.03) for _ in range(n)]
        cases = {
            "step": [noise(1.0) for _ in range(8)] + [noise(1.2) for _ in range(8)],
            "two steps": [noise(1.0) for _ in range(6)] + [noise(1.3) for _ in range(6)] + [noise(0.9) for _ in range(6)],
            "outliers": [noise(1.0) for _ in range(7)] + [[1.0, 1.0, 9.0, 1.0, 1.0]] + [noise(1.0) for _ in range(7)],
            "equal values": [[1.0] * 5 for _ in range(6)] + [[2.0] * 5 for _ in range(6)],
            "flat": [noise(1.0) for _ in range(14)],
            "drift": [noise(1.0 + 0.04 * i) for i in range(12)],
        }
        for name, blocks in cases.items():
            with self.subTest(series=name):
                points = [self.series.results(wall=[x * 1e7 for x in b]) for b in blocks]
                p, report = history_json(self.series.write(os.path.join(self.dir.name, name), points), "--metric", "wall_ns")
                self.assertIn(p.returncode, (0, 1), p.stderr)
                ours = [(c["point"]) for c in series_of(report, "wall_ns")["changes"]]
                theirs = e_divisive.e_divisive([[x * 1e7 for x in b] for b in blocks])
                self.assertEqual(ours, [at for at, _, _ in theirs], f"{name}: {series_of(report, 'wall_ns')['changes']} vs {theirs}")
                for c, (_, q_theirs, _) in zip(series_of(report, "wall_ns")["changes"], theirs):
                    self.assertAlmostEqual(c["q"] / q_theirs, 1, places=9)  # the same statistic
                for c, (_, _, p_theirs) in zip(series_of(report, "wall_ns")["changes"], theirs):
                    self.assertLessEqual(c["p"], 0.01)
                    self.assertLessEqual(p_theirs, 0.01)
        self.assertEqual([at for at, _, _ in e_divisive.e_divisive(cases["step"])], [8])

    def test_bad_input_exits_2_naming_it(self):
        lone = os.path.join(self.dir.name, "lone.json")
        with open(lone, "w") as f:
            json.dump(self.series.results(), f)
        cases = [
            (["--git", "/"], "not in a git repository"),
            ([], "give results files"),
            ([lone, lone, lone], "change points need at least 4"),
            (["--since", "HEAD", lone], "--since: goes with --git"),
        ]
        for args, expected in cases:
            with self.subTest(args=args):
                p = allocbench("history", *args)
                self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                self.assertIn(expected, p.stderr)


class BisectTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.repo, cls.good, cls.commits = allocator_repo(os.path.join(cls.dir.name, "alloc"))

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def setUp(self):
        if "mimalloc" not in BACKENDS:
            self.skipTest("needs the full build: a sanitizer's worker cannot run under valgrind or take a preloaded library")

    def bisect(self, bad, *extra, env=None):
        return allocbench("bisect", "--repo", self.repo, "--good", self.good, "--bad", bad, "--build", BUILD,
                          "--format", "json", *extra, *RUN, env=env)

    def checkout_state(self):
        return (git(self.repo, "rev-parse", "HEAD"), git(self.repo, "status", "--porcelain", "--ignored"),
                git(self.repo, "worktree", "list"), git(self.repo, "stash", "list"))

    def test_names_the_commit_that_added_work_skipping_one_that_does_not_build(self):
        untracked = os.path.join(self.repo, "untracked.txt")
        with open(untracked, "w") as f:
            f.write("the user's own file\n")
        self.addCleanup(os.remove, untracked)
        before = self.checkout_state()
        p = self.bisect(self.commits[-1])
        self.assertEqual(p.returncode, 1, p.stderr)
        report = json.loads(p.stdout)
        self.assertEqual(report["first_bad"], self.commits[SLOWER_AT])
        self.assertLessEqual(report["builds"], math.ceil(math.log2(COMMITS)) + 2)
        statuses = {m["commit"]: m for m in report["measured"]}
        self.assertEqual(statuses[self.commits[BROKEN_AT]]["status"], "skipped")
        self.assertIn("the build exited with code", statuses[self.commits[BROKEN_AT]]["why"])
        self.assertRegex(" ".join(statuses[self.commits[SLOWER_AT]]["figures"]), r"instructions .* \(\+[12]\.\d%\)")
        self.assertIn("uncommitted changes", p.stderr)
        self.assertEqual(self.checkout_state(), before)
        q = allocbench("bisect", "--repo", self.repo, "--good", self.good, "--bad", self.commits[-1], "--build", BUILD, *RUN)
        self.assertIn(f"first bad commit: {self.commits[SLOWER_AT]} count every call", q.stdout)

    def test_nothing_regressed_exits_0(self):
        p = self.bisect(self.commits[5])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIsNone(json.loads(p.stdout)["first_bad"])
        self.assertIn("no regression", p.stderr)

    def test_ctrl_c_leaves_the_checkout_and_nothing_behind(self):
        before = self.checkout_state()
        tmp = os.path.join(self.dir.name, "tmp")
        os.makedirs(tmp, exist_ok=True)
        proc = subprocess.Popen([ALLOCBENCH, "bisect", "--repo", self.repo, "--good", self.good, "--bad", self.commits[-1],
                                 "--build", BUILD, *RUN], env=dict(os.environ, TMPDIR=tmp),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 3, err)
        self.assertIn("interrupted", err)
        self.assertEqual(self.checkout_state(), before)
        time.sleep(1)  # a worker the signal orphaned ends with its repetition
        self.assertEqual(os.listdir(tmp), [])

    def test_bad_input_exits_2_naming_it(self):
        cases = [
            (["--repo", "/", "--good", "HEAD", "--bad", "HEAD"], "--repo '/': not in a git repository"),
            (["--repo", self.repo, "--good", "nope", "--bad", "HEAD"], "--good 'nope': no such commit"),
            (["--repo", self.repo, "--good", self.commits[3], "--bad", self.commits[1]], "is not an ancestor of --bad"),
            (["--repo", self.repo, "--good", self.good, "--bad", self.commits[1], "--", "--baseline", "x.json"],
             "--baseline is bisect's to set"),
            (["--repo", self.repo, "--good", self.good, "--bad", self.commits[1]], "give the run's flags after --"),
        ]
        for args, expected in cases:
            with self.subTest(args=args):
                p = allocbench("bisect", *args)
                self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                self.assertIn(expected, p.stderr)


if __name__ == "__main__":
    unittest.main()
