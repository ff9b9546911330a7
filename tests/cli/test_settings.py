"""Backends with settings (NAME:KEY=VALUE,...) and preloaded allocators as first-class backends."""
import json
import os
import subprocess
import tempfile
import unittest

from harness import ALLOCBENCH, BACKENDS, allocbench, library_path, run_json

CHURN = ("small-object-churn",)
FAST = ("--reps", "1", "--warmup", "0")


def result_of(report, backend):
    return next(r for r in report["results"] if r["backend"] == backend)


@unittest.skipUnless({"jemalloc", "mimalloc"} <= set(BACKENDS), "needs the allocator backends")
class SettingsTest(unittest.TestCase):
    def test_settings_reach_the_allocator_and_are_recorded_under_the_full_label(self):
        # Keys in any order come out sorted and canonical; values are proved in effect.
        p, report = run_json("--backend", "jemalloc:narenas=2,background_thread=1,jemalloc,mimalloc:eager_commit=0",
                             *FAST, workloads=CHURN)
        self.assertEqual(p.returncode, 0, p.stderr)
        labels = [r["backend"] for r in report["results"]]
        self.assertEqual(sorted(labels), ["jemalloc", "jemalloc:background_thread=true,narenas=2",
                                          "mimalloc:eager_commit=false"])
        tuned = result_of(report, "jemalloc:background_thread=true,narenas=2")
        self.assertEqual(tuned["settings"], {"background_thread": {"requested": "true", "effective": "true"},
                                            "narenas": {"requested": "2", "effective": "2"}})
        self.assertEqual(result_of(report, "mimalloc:eager_commit=false")["settings"]["eager_commit"]["effective"],
                         "false")
        self.assertEqual(result_of(report, "jemalloc")["settings"], {})
        # Same work with any settings.
        self.assertEqual(len({r["checksum"] for r in report["results"]}), 1)

    def test_glibc_settings_go_through_glibc_tunables_and_are_marked_unverifiable(self):
        p, report = run_json("--backend", "system:tcache_count=0,mmap_threshold=64K", *FAST, workloads=CHURN)
        self.assertEqual(p.returncode, 0, p.stderr)
        r = report["results"][0]
        self.assertEqual(r["backend"], "system:mmap_threshold=65536,tcache_count=0")
        self.assertEqual(r["settings"]["tcache_count"], {"requested": "0", "effective": None})

    def test_a_setting_the_allocator_did_not_take_is_refused_by_the_worker(self):
        worker = os.path.join(os.path.dirname(ALLOCBENCH), "allocbench-worker-jemalloc")
        env = {k: v for k, v in os.environ.items() if k != "MALLOC_CONF"}
        p = subprocess.run([worker, "--workload", "empty", "--settings", "narenas=3"], capture_output=True,
                           text=True, env=env)
        self.assertEqual(p.returncode, 3)
        self.assertIn("setting narenas=3 did not take effect: the allocator reports", p.stderr)

    def test_bad_settings_are_usage_errors_that_list_the_valid_ones(self):
        cases = {
            "jemalloc:narenas=2,bogus=1": ["unknown setting 'bogus'", "valid: background_thread,", "narenas"],
            "jemalloc:narenas=zero": ["setting narenas: expected an integer from 1 to 4096, got 'zero'"],
            "jemalloc:percpu_arena=sometimes": ["expected one of disabled, percpu, phycpu"],
            "mimalloc:eager_commit=maybe": ["setting eager_commit: expected true or false, got 'maybe'"],
            "system:tcache_count=70000": ["tcache_count: expected an integer from 0 to 65535"],
            "tcmalloc:": ["expected NAME:KEY=VALUE"],
            "nosuch:x=1": ["unknown backend 'nosuch'"],
            "jemalloc:narenas=2,narenas=3": ["setting narenas is given twice"],
            "jemalloc:narenas=2,jemalloc:narenas=2": ["'jemalloc:narenas=2' is listed twice"],
            "narenas=2": ["'narenas=2' follows no NAME:KEY=VALUE setting"],
            "preload:/nonexistent/liba.so": ["'/nonexistent/liba.so' is not a readable file"],
        }
        for spec, messages in cases.items():
            with self.subTest(spec=spec):
                p = allocbench("run", "--backend", spec, "--workload", "empty")
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertEqual(p.stdout, "")
                for m in messages:
                    self.assertIn(m, p.stderr)

    def test_backends_with_settings_are_baseline_entries_and_reference_backends_of_their_own(self):
        with tempfile.TemporaryDirectory() as d:
            base = os.path.join(d, "b.json")
            args = ("--backend", "jemalloc,jemalloc:tcache=false", "--workload", "small-object-churn",
                    "--param", "small-object-churn.ops=20000", *FAST)
            p = allocbench("run", *args, "--save-baseline", base)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(base) as f:
                saved = json.load(f)
            self.assertEqual({r["backend"] for r in saved["results"]}, {"jemalloc", "jemalloc:tcache=false"})
            p = allocbench("run", *args, "--baseline", base, "--metric", "allocs,peak_live_bytes")
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("jemalloc:tcache=false", p.stdout)
            self.assertNotIn(" new ", p.stdout)
            p = allocbench("run", *args, "--reference", "jemalloc", "--metric", "allocs")
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("unchanged  jemalloc:tcache=false", p.stdout)


@unittest.skipUnless("jemalloc" in BACKENDS, "needs the jemalloc library")
class PreloadTest(unittest.TestCase):
    def test_a_preloaded_allocator_runs_in_the_system_worker_and_is_proved(self):
        lib = library_path("libjemalloc.so.2")
        p, report = run_json("--backend", f"system,preload:{lib}", *FAST, workloads=CHURN)
        self.assertEqual(p.returncode, 0, p.stderr)
        r = result_of(report, f"preload:{lib}")
        self.assertEqual(r["malloc_provider"], "libjemalloc.so.2")
        self.assertEqual(r["backend_version"], "jemalloc 5.3.0")
        self.assertEqual(r["checksum"], result_of(report, "system")["checksum"])

    def test_a_library_that_does_not_provide_malloc_is_caught(self):
        p, _ = run_json("--backend", f"preload:{library_path('libm.so.6')}", *FAST, workloads=CHURN)
        self.assertEqual(p.returncode, 3)
        self.assertIn("malloc is provided by 'libc.so.6', expected 'libm.so.6*'", p.stderr)


if __name__ == "__main__":
    unittest.main()
