"""Workers that crash, abort, hang or run the wrong allocator: reported, isolated, exit 3."""
import json
import os
import subprocess
import time
import unittest

from harness import ALLOCBENCH, BACKENDS, BUILD_DIR, allocbench, library_path, run_json, workers_alive

TWO = ",".join(BACKENDS[:2])


class WorkerFailureTest(unittest.TestCase):
    def test_crash_is_reported_and_other_cells_still_run(self):
        p, report = run_json("--backend", TWO, "--reps", "2", "--warmup", "0",
                             workloads=("test-crash", "small-object-churn"))
        self.assertEqual(p.returncode, 3, p.stderr)
        for backend in BACKENDS[:2]:
            self.assertIn(f"backend '{backend}', workload 'test-crash': counted run: the worker was killed by "
                          f"signal 11 (Segmentation fault)", p.stderr)
        done = {(r["backend"], r["workload"]) for r in report["results"]}
        self.assertEqual(done, {(b, "small-object-churn") for b in BACKENDS[:2]})

    def test_abort_shows_the_tail_of_the_workers_stderr(self):
        p = allocbench("run", "--backend", "system", "--workload", "test-abort", "--reps", "1", "--counting", "off")
        self.assertEqual(p.returncode, 3)
        self.assertIn("workload 'test-abort': warm-up 1/1: the worker was killed by signal 6 (Aborted)", p.stderr)
        self.assertIn("test-abort: giving up on purpose", p.stderr)
        self.assertIn("failed", p.stdout)  # the table shows the failed cell

    def test_hang_is_killed_at_the_timeout_without_orphans(self):
        start = time.monotonic()
        p = allocbench("run", "--backend", "system", "--workload", "test-hang", "--reps", "3", "--timeout", "1")
        self.assertLess(time.monotonic() - start, 15)  # one timeout ends the cell: no 3 × timeout
        self.assertEqual(p.returncode, 3)
        self.assertIn("backend 'system', workload 'test-hang': counted run: the worker timed out after", p.stderr)
        self.assertEqual(workers_alive("test-hang"), [])

    @unittest.skipIf(os.environ.get("ALLOCBENCH_TEST_SANITIZER"), "a sanitizer runtime must be preloaded first")
    def test_a_worker_that_closes_its_output_and_hangs_is_killed_at_the_timeout(self):
        # Its pipes close at once: only the deadline can end it.
        library = os.path.join(BUILD_DIR, "tests", "libclose_and_hang.so")
        start = time.monotonic()
        p = allocbench("run", "--backend", f"preload:{library}", "--workload", "empty", "--seed", "4242",
                       "--reps", "2", "--timeout", "1", timeout=60)
        self.assertLess(time.monotonic() - start, 15)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("counted run: the worker timed out after 1.0 s and was killed", p.stderr)
        self.assertEqual(workers_alive("empty --seed 4242"), [])  # a seed no other test uses

    def test_a_worker_whose_malloc_is_another_library_refuses_to_report(self):
        if "jemalloc" not in BACKENDS:
            self.skipTest("needs the jemalloc backend")
        lib = library_path("libjemalloc.so.2")
        worker = os.path.join(os.path.dirname(ALLOCBENCH), "allocbench-worker-system")
        p = subprocess.run([worker, "--workload", "empty"], capture_output=True, text=True,
                           env=dict(os.environ, LD_PRELOAD=lib))
        self.assertEqual(p.returncode, 3)
        self.assertIn("malloc is provided by 'libjemalloc.so.2', expected 'libc.so*'", p.stderr)

    def test_the_driver_keeps_the_shells_allocator_settings_from_its_workers(self):
        if "jemalloc" not in BACKENDS:
            self.skipTest("needs the jemalloc library")
        lib = library_path("libjemalloc.so.2")
        p = allocbench("run", "--backend", "system", "--workload", "small-object-churn", "--reps", "1",
                       "--param", "small-object-churn.ops=1000", "--format", "json",
                       env={"LD_PRELOAD": lib, "GLIBC_TUNABLES": "glibc.malloc.tcache_count=0"})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)["results"][0]["malloc_provider"], "libc.so.6")


if __name__ == "__main__":
    unittest.main()
