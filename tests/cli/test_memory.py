"""Memory beyond the stopwatch: the allocators' own statistics, leak sites."""
import json
import os
import tempfile
import unittest

from harness import BACKENDS, allocbench, run_json

CHURN = ("small-object-churn",)
FAST = ("--reps", "1", "--warmup", "0")


class LeakTest(unittest.TestCase):
    def test_leaks_names_the_function_that_allocated_what_is_still_live(self):
        p, report = run_json("--backend", BACKENDS[0], "--leaks", *FAST, workloads=("test-leak",))
        self.assertEqual(p.returncode, 0, p.stderr)
        r = report["results"][0]
        self.assertEqual(r["metrics"]["live_bytes_at_end"]["median"], 64 * 96)
        self.assertEqual(len(r["leak_sites"]), 1)  # the properly freed vectors are not sites
        site = r["leak_sites"][0]
        self.assertEqual((site["bytes"], site["count"]), (64 * 96, 64))
        self.assertIn("leak_on_purpose (leaky.cpp:", site["stack"][0])
        self.assertIn("Leaky::run", site["stack"][1])
        table = allocbench("run", "--backend", BACKENDS[0], "--leaks", *FAST, "--workload", "test-leak").stdout
        self.assertIn("6.00 KiB in 64 allocations: allocbench::(anonymous namespace)::leak_on_purpose", table)

    def test_without_leaks_a_leak_is_still_reported_with_a_hint(self):
        table = allocbench("run", "--backend", BACKENDS[0], *FAST, "--workload", "test-leak").stdout
        self.assertIn("6.00 KiB still live after teardown (a leak); --leaks shows where", table)

    def test_a_workload_that_frees_everything_has_no_leak_sites(self):
        p, report = run_json("--backend", BACKENDS[0], "--leaks", *FAST, workloads=CHURN)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("leak_sites", report["results"][0])
        self.assertNotIn("still live", allocbench("run", "--backend", BACKENDS[0], "--leaks", *FAST,
                                                  "--workload", "empty").stdout)

    def test_leaks_needs_the_counted_run(self):
        p = allocbench("run", "--leaks", "--counting", "off", "--workload", "empty")
        self.assertEqual(p.returncode, 2)
        self.assertIn("--leaks: needs --counting on", p.stderr)


class AllocatorStatsTest(unittest.TestCase):
    def test_every_backend_reports_its_own_view_and_stats_shows_it(self):
        p, report = run_json(*FAST, workloads=CHURN)
        self.assertEqual(p.returncode, 0, p.stderr)
        expected = {"system": "allocated_bytes", "jemalloc": "resident_bytes", "tcmalloc": "allocated_bytes",
                    "mimalloc": "committed_bytes"}
        for r in report["results"]:
            stat = r["allocator_stats"][expected[r["backend"]]]
            self.assertGreater(stat["median"], 0, r["backend"])
            if r["backend"] != "mimalloc":  # the allocator holds at least what the program asked for
                self.assertGreaterEqual(r["allocator_stats"].get("allocated_bytes", stat)["median"],
                                        r["metrics"]["peak_live_bytes"]["median"] * 0.5)
        table = allocbench("run", "--stats", *FAST, "--workload", "small-object-churn",
                           "--param", "small-object-churn.ops=30000").stdout
        self.assertIn("small-object-churn · the allocators' own statistics at the end of the phase", table)
        self.assertIn("allocated", table)

    def test_allocator_statistics_gate_like_other_metrics(self):
        with tempfile.TemporaryDirectory() as d:
            base = os.path.join(d, "b.json")
            args = ("--backend", BACKENDS[0], "--workload", "small-object-churn", "--reps", "3",
                    "--param", "small-object-churn.ops=30000")
            self.assertEqual(allocbench("run", *args, "--save-baseline", base).returncode, 0)
            p = allocbench("run", *args, "--baseline", base, "--metric", "allocator.allocated_bytes",
                           "--threshold", "50")
            self.assertIn("allocator.allocated_bytes", p.stdout)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            p = allocbench("run", *args, "--baseline", base, "--metric", "allocator.no_such_stat")
            self.assertIn("no result has the metric 'allocator.no_such_stat'", p.stdout)


if __name__ == "__main__":
    unittest.main()
