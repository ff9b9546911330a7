"""--reps auto as a user runs it: looks that stop when the answer is clear, cells still
open at the bounds reported as inconclusive with the exit code --inconclusive gives, the
ranking without a baseline, and every bad flag. The error rates on this machine are a
`make bench` figure (docs/benchmarks.md); the stopping rule itself is unit-tested."""
import json
import os
import re
import tempfile
import unittest

from harness import BACKENDS, BUILD_DIR, allocbench, check_usage_errors

RUN = ["run", "--backend", "system", "--workload", "test-slowdown", "--param", "test-slowdown.ops=20000"]
SLOW = f"preload:{os.path.join(BUILD_DIR, 'tests', 'libslow_malloc.so')}"
# glibc several times slower per call: a difference no load on this machine can hide.
SLOWER = {"ALLOCBENCH_TEST_SPIN": "400"}
CHURN = ["--workload", "small-object-churn", "--param", "small-object-churn.ops=300000"]


class InconclusiveTest(unittest.TestCase):
    """A baseline of one repetition: no test can confirm or rule out a timed change against
    it at these counts, so the answer stays open to the last look, whatever the machine."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.baseline = os.path.join(cls.dir.name, "baseline.json")
        p = allocbench(*RUN, "--reps", "1", "--save-baseline", cls.baseline)
        assert p.returncode == 0, p.stderr

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def judge(self, *args):
        return allocbench(*RUN, "--reps", "auto", "--baseline", self.baseline, "--metric", "wall_ns", *args)

    def test_open_at_max_reps_is_inconclusive_and_fails_by_default(self):
        p = self.judge("--max-reps", "10", "--format", "json", "--verbose")
        self.assertEqual(p.returncode, 1, p.stderr)
        report = json.loads(p.stdout)
        self.assertEqual(report["results"][0]["reps"], 10)  # a second look was taken, and no third
        self.assertEqual(len(report["results"][0]["metrics"]["wall_ns"]["samples"]), 10)
        comparison = report["comparison"]
        self.assertEqual((comparison["looks"], comparison["alpha"]), (2, 0.025))
        self.assertEqual(comparison["inconclusive"], 1)
        wall = next(c for c in comparison["comparisons"] if c.get("metric") == "wall_ns")
        self.assertEqual(wall["verdict"], "inconclusive")
        self.assertEqual((wall["baseline_samples"], wall["current_samples"]), (1, 10))
        self.assertIn("look 2", p.stderr)
        self.assertNotIn("look 3", p.stderr)
        self.assertIn("allocbench: error: 1 verdict still open at the bounds of --reps auto (--inconclusive fail)", p.stderr)

    def test_pass_policy_passes_with_a_warning_and_every_format_says_it(self):
        p = self.judge("--max-reps", "5", "--inconclusive", "pass")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"INCONCLUSIVE\s+system\s+test-slowdown\s+wall_ns")
        self.assertIn("too few samples (1 vs 5)", p.stdout)
        self.assertIn("warning: 1 verdict still open", p.stderr)
        for fmt, mark in [("markdown", "**inconclusive**"), ("csv", ",inconclusive,"), ("html", "INCONCLUSIVE")]:
            with self.subTest(format=fmt):
                q = self.judge("--max-reps", "5", "--format", fmt)
                self.assertEqual(q.returncode, 1, q.stderr)
                self.assertIn(mark, q.stdout)

    def test_max_time_starts_no_new_look(self):
        p = self.judge("--max-time", "0.001s", "--format", "json")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(json.loads(p.stdout)["results"][0]["reps"], 5)


class ClearAnswerTest(unittest.TestCase):
    def setUp(self):
        if "mimalloc" not in BACKENDS:
            self.skipTest("needs the full build: a sanitizer's worker cannot take a preloaded library")

    def test_a_clear_regression_stops_at_the_first_look(self):
        p = allocbench("run", "--backend", f"system,{SLOW}", *CHURN, "--reps", "auto", "--reference", "system",
                       "--metric", "wall_ns", "--format", "json", env=SLOWER)
        self.assertEqual(p.returncode, 1, p.stderr)
        report = json.loads(p.stdout)
        self.assertEqual([r["reps"] for r in report["results"]], [5, 5])
        self.assertEqual(report["comparison"]["comparisons"][0]["verdict"], "regression")
        self.assertEqual(report["comparison"]["looks"], 4)  # 5, 10, 20, 40

    def test_ranking_without_a_baseline(self):
        p = allocbench("run", "--backend", f"system,{SLOW}", *CHURN, "--reps", "auto", "--format", "json", env=SLOWER)
        self.assertEqual(p.returncode, 0, p.stderr)
        ranking = json.loads(p.stdout)["ranking"]
        self.assertEqual((ranking["alpha"], ranking["margin"]), (0.0125, 0.03))
        rows = {r["backend"]: r for r in ranking["rows"]}
        self.assertTrue(rows["system"]["is_fastest"])
        self.assertEqual(rows[SLOW]["answer"], "different")
        self.assertGreater(rows[SLOW]["ratio_interval"][0], 1.5)
        self.assertEqual(rows[SLOW]["samples"], 5)
        q = allocbench("run", "--backend", f"system,{SLOW}", *CHURN, "--reps", "auto", env=SLOWER)
        self.assertRegex(q.stdout, rf"{re.escape(SLOW)} .* slower \(p [=<] 0\.0\d+\)")  # 5 reps or more on a busy machine
        self.assertIn("--reps auto ranked each backend against the fastest", q.stdout)


class UsageTest(unittest.TestCase):
    CASES = [
        (["--reps", "auto", "--max-reps", "4"], "--max-reps 4: below the 5 repetitions --reps auto starts with"),
        (["--max-reps", "10"], "--max-reps: bounds --reps auto: give --reps auto too"),
        (["--max-time", "1m"], "--max-time: bounds --reps auto: give --reps auto too"),
        (["--reps", "auto", "--max-time", "soon"], "--max-time 'soon': expected a positive duration"),
        (["--reps", "auto", "--max-time", "-5s"], "--max-time '-5s': expected a positive duration"),
        (["--reps", "often"], "--reps 'often' (a count, or auto): expected an integer from 1 to 10000"),
        (["--reps", "auto", "--measure", "instructions"], "--reps auto: instruction counts repeat exactly"),
        (["--reps", "auto", "--shard", "1/1"], "--reps auto: without --baseline it ranks"),
        (["--inconclusive", "pass", "--reference", "system"], "--inconclusive: only --reps auto leaves"),
        (["--reps", "auto", "--inconclusive", "pass"], "--inconclusive: judges verdicts: give --baseline FILE or --reference"),
        (["--reps", "auto", "--inconclusive", "maybe"], "--inconclusive: maybe not in {fail,pass}"),
    ]

    def test_each_bad_flag_exits_2_naming_it(self):
        check_usage_errors(self, ["run", "--workload", "empty"], self.CASES)
        p = allocbench("calibrate", "--workload", "empty", "--reps", "auto")
        self.assertEqual(p.returncode, 2)
        self.assertIn("--reps auto: calibrate measures the noise of a fixed number of repetitions", p.stderr)


if __name__ == "__main__":
    unittest.main()
