"""Backend `pool`: allocbench's own size-class pool, run and proved like every allocator.

That it does every workload's and every trace's work with the others' checksums is in
cli.run, cli.trace and cli.command, which run every backend; its stress test is pool.*."""
import os
import subprocess
import sys
import unittest

from harness import ALLOCBENCH, BACKENDS, BUILD_DIR, allocbench, run_json

CHURN = ("small-object-churn",)
FAST = ("--reps", "1", "--warmup", "0")
LIBRARY = os.path.join(BUILD_DIR, "liballocbench-pool.so")


def stats(result):
    return {name: m["median"] for name, m in result["allocator_stats"].items()}


@unittest.skipUnless("pool" in BACKENDS, "the pool backend is not built under sanitizers")
class PoolTest(unittest.TestCase):
    def test_list_shows_it_with_its_settings(self):
        p = allocbench("list")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"\n  pool +\d+\.\d+\.\d+ +liballocbench-pool\.so\n")
        self.assertIn("\n  pool       max_class, chunk_bytes, thread_cache\n", p.stdout)

    def test_settings_are_proved_in_effect_and_change_what_it_does(self):
        # The user's shell cannot tune `pool` behind its label.
        p, report = run_json("--backend", "pool,pool:thread_cache=0,max_class=64,chunk_bytes=128K", *FAST,
                             workloads=CHURN, env={"ALLOCBENCH_POOL_THREAD_CACHE": "0"})
        self.assertEqual(p.returncode, 0, p.stderr)
        default, tuned = report["results"]
        self.assertEqual(tuned["backend"], "pool:chunk_bytes=131072,max_class=64,thread_cache=0")
        self.assertEqual(tuned["settings"], {"chunk_bytes": {"requested": "131072", "effective": "131072"},
                                            "max_class": {"requested": "64", "effective": "64"},
                                            "thread_cache": {"requested": "0", "effective": "0"}})
        self.assertEqual(default["checksum"], tuned["checksum"])
        d, t = stats(default), stats(tuned)
        # No cache: every free block is in the global lists.
        self.assertGreater(d["thread_cache_bytes"], 0)
        self.assertEqual(t["thread_cache_bytes"], 0)
        self.assertEqual(t["chunk_bytes"] % 131072, 0)
        self.assertEqual(d["chunk_bytes"] % (256 << 10), 0)
        # Objects of 65 bytes and more go to glibc: a tenth of the workload's are 257 to 1024.
        self.assertGreater(t["glibc_bytes"], d["glibc_bytes"] + 100_000)
        self.assertLess(t["carved_bytes"], d["carved_bytes"])

    def test_its_statistics_say_where_its_memory_is(self):
        p, report = run_json("--backend", "pool", *FAST, "--stats", workloads=CHURN)
        self.assertEqual(p.returncode, 0, p.stderr)
        r = report["results"][0]
        s = stats(r)
        # At the end of the phase the window is still live; every block carved is either
        # the program's or in a free list or a cache.
        held = s["carved_bytes"] - s["free_list_bytes"] - s["thread_cache_bytes"]
        self.assertGreaterEqual(held, r["metrics"]["peak_live_bytes"]["median"] * 0.9 - s["glibc_bytes"])
        self.assertLessEqual(s["chunk_resident_bytes"], s["chunk_bytes"])
        self.assertGreaterEqual(s["chunk_resident_bytes"], s["carved_bytes"] * 0.9)
        self.assertEqual(s["fallback_bytes"], 0)
        self.assertEqual(r["metrics"]["live_bytes_at_end"]["median"], 0)

        table = allocbench("run", "--backend", "pool", *FAST, "--stats", "--workload", "small-object-churn",
                           "--param", "small-object-churn.ops=30000", "--param", "small-object-churn.window=2000")
        self.assertEqual(table.returncode, 0, table.stderr)
        self.assertRegex(table.stdout, r"free_list_bytes [\d.]+ (B|KiB|MiB).*thread_cache_bytes")

    def test_bad_settings_are_usage_errors(self):
        cases = {
            "pool:max_class=24": "setting max_class: expected a multiple of 16, got '24'",
            "pool:max_class=8": "setting max_class: expected a byte size from 16 to 4096",
            "pool:chunk_bytes=100000": "setting chunk_bytes: expected a multiple of 65536, got '100000'",
            "pool:thread_cache=40000": "setting thread_cache: expected an integer from 0 to 32768",
            "pool:arenas=2": "unknown setting 'arenas'; valid: max_class, chunk_bytes, thread_cache",
        }
        for backend, message in cases.items():
            with self.subTest(backend=backend):
                p = allocbench("run", "--backend", backend, "--workload", "small-object-churn")
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn(message, p.stderr)

    def test_a_setting_that_did_not_reach_the_library_is_refused_by_the_worker(self):
        worker = os.path.join(os.path.dirname(ALLOCBENCH), "allocbench-worker-pool")
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALLOCBENCH_POOL_")}
        p = subprocess.run([worker, "--workload", "empty", "--settings", "max_class=64"], capture_output=True,
                           text=True, env=env)
        self.assertEqual(p.returncode, 3)
        self.assertIn("setting max_class=64 did not take effect: the allocator reports 1024", p.stderr)

    def test_the_library_serves_a_real_program_and_reports_a_bad_setting(self):
        program = "import json; print(len(json.dumps([{'k': str(i) * (i % 50)} for i in range(50000)])))"
        env = dict(os.environ, LD_PRELOAD=LIBRARY, ALLOCBENCH_POOL_THREAD_CACHE="many")
        p = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.strip(), "6403005")
        self.assertIn("allocbench pool: ignoring ALLOCBENCH_POOL_THREAD_CACHE=many", p.stderr)


if __name__ == "__main__":
    unittest.main()
