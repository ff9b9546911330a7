"""The regression gate as CI uses it: baselines in a real git repository, verdicts, exit codes."""
import csv
import io
import json
import os
import re
import subprocess
import tempfile
import unittest

from harness import BACKENDS, BUILD_DIR, allocbench

# A small, fast, deterministic workload that can be made worse on purpose.
def run_args(ops=100000, reps=7):
    return ["run", "--backend", "system", "--workload", "test-slowdown", "--param", f"test-slowdown.ops={ops}",
            "--reps", str(reps)]


RUN = run_args()
# These tests are about the flow and the exit codes, so they gate the deterministic
# metrics, exactly. Timed verdicts are unit-tested on fixed samples, checked within one run
# by ReferenceTest, and their false-alarm rate on this machine is a `make bench` figure:
# runs minutes apart on a loaded 2-core machine can differ by 2x in wall time.
EXACT = ["--metric", "allocs,bytes_allocated,peak_live_bytes,live_bytes_at_end", "--threshold", "0"]


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True, check=True).stdout


SANITIZED = bool(os.environ.get("ALLOCBENCH_TEST_SANITIZER"))


class GitFlowTest(unittest.TestCase):
    def test_commit_baseline_pass_regress_update_pass(self):
        with tempfile.TemporaryDirectory() as repo:
            git(repo, "init", "-q")
            git(repo, "config", "user.email", "ci@example.invalid")
            git(repo, "config", "user.name", "ci")
            baseline = os.path.join(repo, "baselines", "ci.json")
            os.makedirs(os.path.dirname(baseline))

            p = allocbench(*RUN, "--save-baseline", baseline)
            self.assertEqual(p.returncode, 0, p.stderr)
            git(repo, "add", "baselines/ci.json")
            git(repo, "commit", "-q", "-m", "baseline")

            # Unchanged: passes.
            p = allocbench(*RUN, "--baseline", baseline, *EXACT)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("no regression beyond the threshold against baseline", p.stderr)

            # The same work with 30% more allocations: a regression, named in the report, exit 1.
            worse = {"ALLOCBENCH_TEST_SCRATCH_PERCENT": "30"}
            p = allocbench(*RUN, "--baseline", baseline, *EXACT, env=worse)
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
            self.assertRegex(p.stdout, r"REGRESSION\s+system\s+test-slowdown\s+allocs\s+100000\s+130000\s+\+30\.0%")
            self.assertIn("regressions beyond the threshold against baseline", p.stderr)

            # Accepted on purpose: a new baseline is saved and committed; then it passes again.
            p = allocbench(*RUN, "--save-baseline", baseline, env=worse)
            self.assertEqual(p.returncode, 0, p.stderr)
            diff = git(repo, "diff", "-U0", "baselines/ci.json")
            self.assertIn('-          "median": 100000,', diff)
            self.assertIn('+          "median": 130000,', diff)
            git(repo, "commit", "-q", "-am", "accept the slower workload")
            p = allocbench(*RUN, "--baseline", baseline, *EXACT, env=worse)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_more_memory_is_a_regression(self):
        with tempfile.TemporaryDirectory() as d:
            baseline = os.path.join(d, "b.json")
            self.assertEqual(allocbench(*RUN, "--save-baseline", baseline).returncode, 0)
            p = allocbench(*RUN, "--baseline", baseline, *EXACT, env={"ALLOCBENCH_TEST_EXTRA_BYTES": "1000000"})
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
            self.assertRegex(p.stdout, r"REGRESSION\s+system\s+test-slowdown\s+peak_live_bytes")

    @unittest.skipIf(SANITIZED, "a sanitizer runtime must be preloaded first")
    def test_a_slower_allocator_is_a_timed_regression(self):
        # glibc with extra work in every call: the same work, so the same checksum, and
        # several times slower: the U test confirms it at any noise level of this machine.
        slow = f"preload:{os.path.join(BUILD_DIR, 'tests', 'libslow_malloc.so')}"
        run = ["run", "--backend", slow, "--workload", "test-slowdown", "--param", "test-slowdown.ops=20000",
               "--reps", "7"]
        with tempfile.TemporaryDirectory() as d:
            baseline = os.path.join(d, "b.json")
            self.assertEqual(allocbench(*run, "--save-baseline", baseline).returncode, 0)
            p = allocbench(*run, "--baseline", baseline, "--metric", "wall_ns", env={"ALLOCBENCH_TEST_SPIN": "400"})
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
            self.assertRegex(p.stdout, r"REGRESSION\s+preload:\S+\s+test-slowdown\s+wall_ns\s.*p = 0\.00")

    def test_other_work_under_the_same_key_is_not_comparable(self):
        with tempfile.TemporaryDirectory() as d:
            baseline = os.path.join(d, "b.json")
            self.assertEqual(allocbench(*RUN, "--save-baseline", baseline).returncode, 0)
            p = allocbench(*RUN, "--baseline", baseline, env={"ALLOCBENCH_TEST_MORE_STEPS_PERCENT": "10"})
            self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
            self.assertRegex(p.stdout, r"NOT COMPARABLE\s+system\s+test-slowdown .*different work")
            self.assertIn("1 entry did different work than in baseline", p.stderr)
            self.assertIn("system · test-slowdown · ops=100000 · seed 1 · 1 thread (checksum ", p.stderr)
            self.assertIn("--save-baseline", p.stderr)

    def test_a_run_with_no_counterpart_in_the_baseline_is_refused_before_it_runs(self):
        with tempfile.TemporaryDirectory() as d:
            baseline = os.path.join(d, "b.json")
            self.assertEqual(allocbench(*RUN, "--save-baseline", baseline).returncode, 0)
            p = allocbench(*run_args(ops=10_000_000), "--seed", "7", "--threads", "2", "--baseline", baseline,
                           timeout=20)
            self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
            self.assertEqual(p.stdout, "")  # nothing ran
            self.assertIn("no entry of this run has a counterpart in baseline", p.stderr)
            self.assertIn("this run:\n  system · test-slowdown · ops=10000000 · seed 7 · 2 threads", p.stderr)
            self.assertIn(f"baseline '{baseline}':\n  system · test-slowdown · ops=100000 · seed 1 · 1 thread", p.stderr)

    def test_resaving_an_unchanged_run_changes_only_measured_numbers(self):
        with tempfile.TemporaryDirectory() as repo:
            git(repo, "init", "-q")
            baseline = os.path.join(repo, "b.json")
            allocbench(*RUN, "--save-baseline", baseline)
            git(repo, "add", "b.json")
            git(repo, "-c", "user.email=x@example.invalid", "-c", "user.name=x", "commit", "-q", "-m", "b")
            allocbench(*RUN, "--save-baseline", baseline)
            changed = [l for l in git(repo, "diff", "-U0", "b.json").splitlines()
                       if l[:1] in "+-" and not l.startswith(("+++", "---"))]
            for line in changed:  # timings and RSS move; keys, order and counts do not
                self.assertRegex(line, r'^[+-]\s+("(median|min|max)": )?\d+(\.\d+)?,?$')

    def test_save_merges_entries_that_did_not_run_and_keeps_their_environment(self):
        with tempfile.TemporaryDirectory() as d:
            baseline = os.path.join(d, "b.json")
            allocbench(*RUN, "--save-baseline", baseline)
            with open(baseline) as f:
                doc = json.load(f)
            doc["results"][0]["environment"]["cpu"] = "the machine it was recorded on"
            with open(baseline, "w") as f:
                json.dump(doc, f)
            allocbench(*run_args(ops=2000, reps=3), "--save-baseline", baseline)
            with open(baseline) as f:
                doc = json.load(f)
            entries = {e["params"]["ops"]: e for e in doc["results"]}
            self.assertEqual(sorted(entries), [2000, 100000])
            self.assertEqual(entries[100000]["environment"]["cpu"], "the machine it was recorded on")
            self.assertEqual(entries[2000]["environment"]["cpu"], doc["environment"]["cpu"])
            self.assertEqual(os.listdir(d), ["b.json"])

    def test_a_baseline_of_too_few_repetitions_is_said_when_saved(self):
        with tempfile.TemporaryDirectory() as d:
            p = allocbench(*run_args(reps=1), "--save-baseline", os.path.join(d, "b.json"),
                           env={"ALLOCBENCH_NO_WARNINGS": "0"})  # the sanitizer presets silence warnings
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("--save-baseline with --reps 1: the U test can confirm a timed change against this baseline "
                          "only in runs of 20 or more repetitions", p.stderr)


class CompareTest(unittest.TestCase):
    def save(self, d, name, env=None, args=RUN):
        path = os.path.join(d, name)
        p = allocbench(*args, "--format", "json", "--output", path, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        return path

    def test_compare_saved_results_in_every_format(self):
        with tempfile.TemporaryDirectory() as d:
            base = self.save(d, "base.json")
            worse = self.save(d, "worse.json", env={"ALLOCBENCH_TEST_SCRATCH_PERCENT": "25"})
            p = allocbench("compare", worse, base, *EXACT)
            self.assertEqual(p.returncode, 1)
            self.assertTrue(p.stdout.startswith(f"regression check against baseline '{base}'"))
            md = allocbench("compare", worse, base, *EXACT, "--format", "markdown").stdout
            self.assertIn("| **regression** | system | test-slowdown | allocs |", md)
            report = json.loads(allocbench("compare", worse, base, *EXACT, "--format", "json").stdout)
            self.assertGreaterEqual(report["regressions"], 1)
            row = next(r for r in report["comparisons"] if r.get("metric") == "allocs")
            self.assertEqual(row["verdict"], "regression")
            self.assertEqual(row["evidence"], "deterministic")
            self.assertAlmostEqual(row["change"], 0.25)
            report = json.loads(allocbench("compare", worse, base, "--format", "json").stdout)
            wall = next(r for r in report["comparisons"] if r.get("metric") == "wall_ns")
            self.assertEqual((wall["evidence"], wall["estimator"], wall["baseline_samples"]), ("tested", "min", 7))
            self.assertIn(wall["direction"], ("worse", "better", "same"))
            self.assertTrue(0 < wall["p"] <= 1 and 0 < wall["smallest_p"] <= wall["p"], wall)
            self.assertEqual(allocbench("compare", base, base).returncode, 0)

    def test_metric_restricts_what_is_gated(self):
        with tempfile.TemporaryDirectory() as d:
            base = self.save(d, "base.json")
            worse = self.save(d, "worse.json", env={"ALLOCBENCH_TEST_EXTRA_BYTES": "500000"})
            self.assertEqual(allocbench("compare", worse, base, "--metric", "allocs").returncode, 0)
            self.assertEqual(allocbench("compare", worse, base, "--metric", "peak_live_bytes").returncode, 1)

    def test_other_machine_is_shown_and_timed_metrics_not_gated(self):
        with tempfile.TemporaryDirectory() as d:
            base = self.save(d, "base.json")
            with open(base) as f:
                doc = json.load(f)
            doc["results"][0]["environment"]["cpu"] = "a much faster cpu"
            for m in ("median", "min", "max"):
                doc["results"][0]["metrics"]["wall_ns"][m] /= 10
            doc["results"][0]["metrics"]["wall_ns"]["samples"] = [
                s / 10 for s in doc["results"][0]["metrics"]["wall_ns"]["samples"]]
            with open(base, "w") as f:
                json.dump(doc, f)
            now = self.save(d, "now.json")
            p = allocbench("compare", now, base)
            self.assertEqual(p.returncode, 0, p.stdout)
            self.assertIn("note: cpu differs: 'a much faster cpu' in the baseline", p.stdout)
            self.assertIn("regression (not gated)", p.stdout)
            self.assertIn("measured in another environment (notes)", p.stdout)
            self.assertEqual(allocbench("compare", now, base, "--ignore-env").returncode, 1)

    def test_entries_on_one_side_only_are_listed(self):
        with tempfile.TemporaryDirectory() as d:
            base, other = os.path.join(d, "base.json"), os.path.join(d, "other.json")
            for ops, path in ((100000, base), (2000, base), (100000, other), (5000, other)):
                self.assertEqual(allocbench(*run_args(ops=ops, reps=3), "--save-baseline", path).returncode, 0)
            p = allocbench("compare", other, base, *EXACT)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertRegex(p.stdout, r"new\s+system\s+test-slowdown .*not in the baseline \(ops=5000, seed 1, 1 thread\)")
            self.assertRegex(p.stdout, r"missing\s+system\s+test-slowdown .*in the baseline, not run now \(ops=2000, seed 1")
            self.assertRegex(p.stdout, r"unchanged\s+system\s+test-slowdown\s+allocs\s+100000")

    def test_results_with_no_counterpart_do_not_pass(self):
        with tempfile.TemporaryDirectory() as d:
            base = self.save(d, "base.json")
            other = self.save(d, "other.json", args=[*RUN, "--seed", "2"])
            p = allocbench("compare", other, base)
            self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
            self.assertIn(f"no entry of results '{other}' has a counterpart in baseline '{base}'", p.stderr)
            self.assertIn("system · test-slowdown · ops=100000 · seed 2 · 1 thread", p.stderr)

    def test_a_check_that_judges_nothing_does_not_pass(self):
        with tempfile.TemporaryDirectory() as d:
            base = self.save(d, "base.json")
            uncounted = self.save(d, "uncounted.json", args=[*RUN, "--counting", "off"])
            p = allocbench("compare", uncounted, base, "--metric", "allocs")
            self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
            self.assertRegex(p.stdout, r"missing\s+system\s+test-slowdown\s+allocs .*not measured now")
            self.assertIn("nothing was judged: no metric asked for (--metric) was measured on both sides", p.stderr)

    def test_too_few_samples_is_said(self):
        with tempfile.TemporaryDirectory() as d:
            base = os.path.join(d, "b.json")
            allocbench(*run_args(reps=2), "--save-baseline", base)
            p = allocbench(*run_args(reps=2), "--baseline", base)
            self.assertRegex(p.stdout, r"wall_ns .* too few samples \(2 vs 2\): p >= 0\.167 always")
            self.assertIn("2 against 2 repetitions can never give p < 0.05 on timed metrics: they are shown, not gated. "
                          "A baseline of 2 repetitions is gated only by runs of 5 or more repetitions", p.stdout)

    def test_csv_carries_the_verdicts(self):
        with tempfile.TemporaryDirectory() as d:
            base = os.path.join(d, "b.json")
            allocbench(*RUN, "--save-baseline", base)
            p = allocbench(*RUN, "--baseline", base, "--format", "csv", env={"ALLOCBENCH_TEST_SCRATCH_PERCENT": "30"})
            self.assertEqual(p.returncode, 1, p.stderr)
            table = list(csv.reader(io.StringIO(p.stdout)))
            self.assertEqual({len(row) for row in table}, {len(table[0])})  # every row has every field
            rows = list(csv.DictReader(io.StringIO(p.stdout)))
            allocs = next(r for r in rows if r["metric"] == "allocs")
            self.assertEqual((allocs["verdict"], allocs["gated"], allocs["evidence"]), ("regression", "true", "deterministic"))
            self.assertAlmostEqual(float(allocs["change"]), 0.3)
            wall = next(r for r in rows if r["metric"] == "wall_ns")
            # The best repetition, or the median when one lucky repetition moved the best against
            # the rest (docs/verdicts.md): a loaded machine gives either.
            self.assertIn(wall["estimator"], ("min", "median"))
            self.assertTrue(0 < float(wall["p"]) <= 1)
            cpu = next(r for r in rows if r["metric"] == "cpu_user_ns")  # not judged: no verdict
            self.assertEqual(cpu["verdict"], "")


class ReferenceTest(unittest.TestCase):
    def test_every_backend_is_judged_against_the_reference(self):
        if "mimalloc" not in BACKENDS:
            self.skipTest("needs the full build: a sanitizer's worker cannot take a preloaded library")
        # glibc made several times slower per call by a preloaded library (the same work):
        # a regression against plain glibc on any machine, however loaded. Two allocators'
        # own speeds are too close on some days to make the test.
        slow = f"preload:{os.path.join(BUILD_DIR, 'tests', 'libslow_malloc.so')}"
        p = allocbench("run", "--backend", f"system,{slow}", "--workload", "small-object-churn",
                       "--param", "small-object-churn.ops=300000", "--reps", "9", "--reference", "system",
                       env={"ALLOCBENCH_TEST_SPIN": "400"})
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("regression check against reference backend 'system'", p.stdout)
        self.assertRegex(p.stdout, rf"REGRESSION\s+{re.escape(slow)}\s+small-object-churn\s+wall_ns")
        self.assertRegex(p.stdout, rf"unchanged\s+{re.escape(slow)}\s+small-object-churn\s+allocs")  # same work


class CalibrateTest(unittest.TestCase):
    def test_prints_noise_and_the_smallest_clean_threshold(self):
        p = allocbench("calibrate", "--backend", "system", "--workload", "test-slowdown",
                       "--param", "test-slowdown.ops=20000", "--runs", "3", "--reps", "4", "--format", "json")
        self.assertEqual(p.returncode, 0, p.stderr)
        report = json.loads(p.stdout)
        self.assertEqual(report["runs"], 3)
        wall = next(c for c in report["calibration"] if c["metric"] == "wall_ns")
        self.assertEqual(len(wall["values"]), 3)
        self.assertEqual(wall["estimator"], "min of 4")
        allocs = next(c for c in report["calibration"] if c["metric"] == "allocs")
        self.assertEqual(allocs["clean_threshold"], 0)  # deterministic: no noise at all
        self.assertEqual(allocs["noise"], 0)
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "calibration.txt")
            p = allocbench("calibrate", "--backend", "system", "--workload", "test-slowdown",
                           "--param", "test-slowdown.ops=20000", "--runs", "2", "--reps", "4", "--output", out)
            self.assertEqual((p.returncode, p.stdout), (0, ""), p.stderr)
            with open(out) as f:
                self.assertRegex(f.read(), r"smallest thresholds with no false alarm here: --threshold \S*wall_ns=[\d.]+")


class GateUsageTest(unittest.TestCase):
    CASES = [
        (["run", "--workload", "empty", "--baseline", "x.json", "--threshold", "fast"], "--threshold 'fast': expected a percentage"),
        (["run", "--workload", "empty", "--reference", "system", "--threshold", "speed=3"], "--threshold: unknown metric 'speed'"),
        (["run", "--workload", "empty", "--reference", "system", "--metric", "nope"], "--metric: unknown metric 'nope'"),
        (["run", "--workload", "empty", "--reference", "nosuch"], "--reference: backend 'nosuch' is not among those run"),
        (["run", "--workload", "empty", "--backend", "system", "--reference", "system"], "needs at least one other backend"),
        (["run", "--workload", "empty", "--threshold", "5"], "give --baseline FILE or --reference BACKEND too"),
        (["run", "--workload", "empty", "--baseline", "a.json", "--reference", "system"], "excludes"),
        (["compare", "only-one.json"], "BASELINE is required"),
        (["compare", "a.json", "b.json", "--format", "csv"], "--format"),
        (["calibrate", "--runs", "1"], "--runs"),
        # Flags that say nothing about noise are not calibrate's: unknown, not silently ignored.
        (["calibrate", "--workload", "empty", "--timeline"], "not expected: --timeline"),
        (["calibrate", "--workload", "empty", "--max-rss", "1M"], "not expected: 1M --max-rss"),
        (["calibrate", "--workload", "empty", "--leaks"], "not expected: --leaks"),
        (["calibrate", "--workload", "empty", "--stats"], "not expected: --stats"),
        (["calibrate", "--workload", "empty", "--timeline-interval", "5"], "not expected: 5 --timeline-interval"),
        (["calibrate", "--workload", "empty", "--threshold", "3"], "not expected: 3 --threshold"),
        (["calibrate", "--workload", "empty", "--ignore-env"], "not expected: --ignore-env"),
        (["calibrate", "--workload", "empty", "--format", "html"], "--format: html not in {table,json}"),
        (["run", "--workload", "empty", "--reference", "system", "--backend", "system,system:tcache_count=0",
          "--ignore-env"], "--ignore-env: --reference compares backends of this run"),
        (["run", "--workload", "empty", "--baseline", "x.json", "--metric", ""], "--metric: expected 'all' or metric names"),
        (["run", "--workload", "empty", "--baseline", "x.json", "--threshold", ""], "--threshold: expected a percentage"),
    ]

    def test_each_bad_gate_flag_exits_2_naming_it(self):
        for args, expected in self.CASES:
            with self.subTest(args=args):
                p = allocbench(*args, timeout=60)
                self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                self.assertIn(expected, p.stderr)


if __name__ == "__main__":
    unittest.main()
