"""--measure instructions: every timed repetition counted under valgrind's callgrind."""
import csv
import io
import json
import os
import stat
import tempfile
import unittest

from harness import BACKENDS, BUILD_DIR, allocbench

NATIVE = not os.environ.get("ALLOCBENCH_TEST_SANITIZER")
def churn(ops=20000):
    return ["--workload", "small-object-churn", "--param", f"small-object-churn.ops={ops}",
            "--param", "small-object-churn.window=2000"]


CHURN = churn()
SIMULATED = {"instructions", "est_cycles", "l1_misses", "ll_misses"}
SLOW = os.path.join(BUILD_DIR, "tests", "libslow_malloc.so")


def run(*args, env=None):
    p = allocbench("run", "--measure", "instructions", *args, "--format", "json", env=env)
    return p, (json.loads(p.stdout) if p.stdout.startswith("{") else None)


@unittest.skipUnless(NATIVE, "valgrind cannot run a sanitized worker")
class CountTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.proc, cls.report = run(*CHURN, "--reps", "2")

    def test_every_backend_is_counted_in_the_phase_and_not_timed(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.assertEqual(sorted(r["backend"] for r in self.report["results"]), BACKENDS)
        for r in self.report["results"]:
            with self.subTest(backend=r["backend"]):
                self.assertEqual(r["measure"], "instructions")
                self.assertLessEqual(SIMULATED, set(r["metrics"]))
                self.assertFalse({"wall_ns", "cpu_user_ns", "ops_per_s", "ctx_switches_vol"} & set(r["metrics"]))
                m = r["metrics"]
                n = m["instructions"]
                self.assertLessEqual((n["max"] - n["min"]) / n["median"], 1e-4)  # one thread: exact, or within 0.01%
                self.assertTrue(m["instructions"]["deterministic"])
                self.assertGreater(m["est_cycles"]["median"], m["instructions"]["median"])
                self.assertEqual(m["allocs"]["median"], 20000)  # the counted run, natively
                self.assertGreater(m["peak_rss_bytes"]["median"], 0)
                self.assertIn("valgrind-3.", r["environment"]["valgrind"])
                self.assertIn("LL=8388608,16,64", r["environment"]["valgrind"])

    def test_only_the_phase_is_counted(self):
        # Twice the steps, twice the instructions: start-up, setup and teardown are not in them.
        _, twice = run(*churn(40000), "--backend", "system", "--reps", "1")
        once = next(r for r in self.report["results"] if r["backend"] == "system")
        ratio = twice["results"][0]["metrics"]["instructions"]["median"] / once["metrics"]["instructions"]["median"]
        self.assertAlmostEqual(ratio, 2.0, delta=0.05)

    def test_the_table_shows_counts_not_time(self):
        p = allocbench("run", "--measure", "instructions", "--backend", "system", *CHURN, "--reps", "1")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"backend\s+instructions\s+range\s+est\. cycles\s+L1 misses\s+LL misses")
        self.assertIn("counted under callgrind (valgrind-3.", p.stdout)
        self.assertNotIn("ops/s", p.stdout)


@unittest.skipUnless(NATIVE, "valgrind cannot run a sanitized worker, nor preload beside a sanitizer")
class GateTest(unittest.TestCase):
    ARGS = ["--backend", f"preload:{SLOW}", *CHURN, "--reps", "1"]

    def test_a_baseline_from_another_cpu_still_gates_instructions(self):
        with tempfile.TemporaryDirectory() as d:
            baseline = os.path.join(d, "b.json")
            p, _ = run(*self.ARGS, "--save-baseline", baseline)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(baseline) as f:
                doc = json.load(f)
            for e in doc["results"]:
                e["environment"]["cpu"] = "a CPU of another machine"
                e["environment"]["cores"] = 64
            with open(baseline, "w") as f:
                json.dump(doc, f)
            gate = ["--baseline", baseline, "--threshold", "instructions=1"]
            same = allocbench("run", "--measure", "instructions", *self.ARGS, *gate)
            self.assertEqual(same.returncode, 0, same.stdout + same.stderr)
            self.assertIn("cpu differs: 'a CPU of another machine' in the baseline", same.stdout)
            self.assertRegex(same.stdout, r"unchanged\s+preload:\S+\s+small-object-churn\s+instructions .* deterministic")
            # A few more instructions in every allocator call: caught, on another CPU.
            slower = allocbench("run", "--measure", "instructions", *self.ARGS, *gate, env={"ALLOCBENCH_TEST_SPIN": "8"})
            self.assertEqual(slower.returncode, 1, slower.stdout + slower.stderr)
            self.assertRegex(slower.stdout, r"REGRESSION\s+preload:\S+\s+small-object-churn\s+instructions\s.*deterministic")

    def test_another_valgrind_is_not_gated(self):
        with tempfile.TemporaryDirectory() as d:
            baseline = os.path.join(d, "b.json")
            run(*self.ARGS, "--save-baseline", baseline)
            with open(baseline) as f:
                doc = json.load(f)
            doc["results"][0]["environment"]["valgrind"] = "valgrind-3.22.0, I1=32768,8,64 D1=32768,8,64 LL=8388608,16,64"
            with open(baseline, "w") as f:
                json.dump(doc, f)
            p = allocbench("run", "--measure", "instructions", *self.ARGS, "--baseline", baseline,
                           env={"ALLOCBENCH_TEST_SPIN": "8"})
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("instruction counts from another build or valgrind are shown but not gated", p.stdout)

    def test_wall_and_instruction_entries_live_side_by_side_in_a_baseline(self):
        with tempfile.TemporaryDirectory() as d:
            baseline = os.path.join(d, "b.json")
            self.assertEqual(allocbench("run", *self.ARGS, "--save-baseline", baseline).returncode, 0)
            self.assertEqual(run(*self.ARGS, "--save-baseline", baseline)[0].returncode, 0)
            with open(baseline) as f:
                self.assertEqual(sorted(e["measure"] for e in json.load(f)["results"]), ["instructions", "wall"])
            p = allocbench("run", *self.ARGS, "--baseline", baseline)  # the wall entry is judged, the other listed
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertRegex(p.stdout, r"missing\s+preload:\S+\s+small-object-churn .*in the baseline, not run now")


@unittest.skipUnless(NATIVE, "valgrind cannot run a sanitized worker, nor preload beside a sanitizer")
class ThreadsTest(unittest.TestCase):
    def test_counts_of_threads_are_gated_with_the_u_test(self):
        args = ["--backend", f"preload:{SLOW}", "--workload", "pool-contention", "--param", "pool-contention.ops=5000",
                "--threads", "2", "--reps", "4"]
        with tempfile.TemporaryDirectory() as d:
            baseline = os.path.join(d, "b.json")
            p, _ = run(*args, "--save-baseline", baseline, env={"ALLOCBENCH_TEST_SPIN": "20"})
            self.assertEqual(p.returncode, 0, p.stderr)
            gate = ["--baseline", baseline, "--metric", "instructions", "--threshold", "1"]
            same = allocbench("run", "--measure", "instructions", *args, *gate, env={"ALLOCBENCH_TEST_SPIN": "20"})
            self.assertEqual(same.returncode, 0, same.stdout + same.stderr)
            slower = allocbench("run", "--measure", "instructions", *args, *gate, env={"ALLOCBENCH_TEST_SPIN": "30"})
            self.assertEqual(slower.returncode, 1, slower.stdout + slower.stderr)
            self.assertRegex(slower.stdout, r"REGRESSION\s+preload:\S+\s+pool-contention\s+instructions\s.*p = 0\.014")

    def test_counts_of_threads_are_samples(self):
        p, report = run("--backend", "system", "--workload", "pool-contention", "--param", "pool-contention.ops=20000",
                        "--threads", "2", "--reps", "4")
        self.assertEqual(p.returncode, 0, p.stderr)
        m = report["results"][0]["metrics"]["instructions"]
        self.assertFalse(m["deterministic"])
        # Serialised by valgrind, the threads still meet their locks in an order the kernel's timing decides:
        # the range of 4 counts was 0% on an idle machine, 0.2-0.35% with both cores busy, 1.2% on a CI machine.
        self.assertLess((m["max"] - m["min"]) / m["median"], 0.05)
        self.assertIn("threads ran one at a time", allocbench("run", "--measure", "instructions", "--backend", "system",
                                                               "--workload", "pool-contention", "--param",
                                                               "pool-contention.ops=5000", "--reps", "1").stdout)


@unittest.skipUnless(NATIVE, "valgrind cannot run a sanitized worker")
class EverythingElseTest(unittest.TestCase):
    def test_replays_backends_with_settings_references_and_csv_work_in_this_mode(self):
        trace = os.path.abspath(os.path.join("..", "fuzz", "corpus", "trace", "threads.trace"))
        with_settings = "jemalloc:narenas=1" if "jemalloc" in BACKENDS else "system:tcache_count=0"
        reference = with_settings.split(":")[0]
        p = allocbench("run", "--measure", "instructions", "--backend", f"{reference},{with_settings}", "--workload",
                       f"trace:{trace}", "--reps", "4", "--reference", reference, "--metric", "instructions,allocs",
                       "--format", "csv")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        rows = list(csv.DictReader(io.StringIO(p.stdout)))
        judged = [r for r in rows if r["backend"] == with_settings and r["metric"] in ("instructions", "allocs")]
        self.assertEqual(sorted(r["metric"] for r in judged), ["allocs", "instructions"])
        by_metric = {r["metric"]: r for r in judged}
        self.assertEqual(by_metric["allocs"]["verdict"], "unchanged")  # the same replay
        self.assertEqual(by_metric["allocs"]["evidence"], "deterministic")
        self.assertRegex(by_metric["instructions"]["evidence"], r"^p = ")  # three threads: the U test
        self.assertEqual(by_metric["instructions"]["gated"], "true")
        self.assertTrue(all(r["workload"] == f"trace:{trace}" for r in rows))


@unittest.skipUnless(NATIVE, "valgrind cannot run a sanitized worker")
class FailureTest(unittest.TestCase):
    def test_without_valgrind_the_run_is_refused_with_the_install_hint(self):
        with tempfile.TemporaryDirectory() as empty:
            p = allocbench("run", "--measure", "instructions", "--backend", "system", *CHURN, env={"PATH": empty})
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn("--measure instructions: valgrind is not installed or does not run: install it with "
                          "'apt-get install valgrind'", p.stderr)

    def test_a_valgrind_that_cannot_run_the_worker_is_refused(self):
        with tempfile.TemporaryDirectory() as d:
            fake = os.path.join(d, "valgrind")
            with open(fake, "w") as f:
                f.write('#!/bin/sh\n[ "$1" = --version ] && echo valgrind-3.19.0 && exit 0\n'
                        'echo "valgrind: cannot start the program" >&2\nexit 1\n')
            os.chmod(fake, stat.S_IRWXU)
            p = allocbench("run", "--measure", "instructions", "--backend", "system", *CHURN,
                           env={"PATH": d + os.pathsep + os.environ["PATH"]})
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn("--measure instructions: valgrind-3.19.0 cannot run", p.stderr)
            self.assertIn("valgrind: cannot start the program", p.stderr)

    def test_every_backend_is_checked_under_valgrind_before_the_run(self):
        with tempfile.TemporaryDirectory() as d:
            broken = os.path.join(d, "not-a-library.so")
            with open(broken, "w") as f:
                f.write("not an ELF file\n")
            p = allocbench("run", "--measure", "instructions", "--backend", f"system,preload:{broken}", *CHURN)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertEqual(p.stdout, "")  # refused before anything ran
            self.assertIn("cannot run", p.stderr)
            self.assertIn(f"malloc is provided by 'libc.so.6', expected '{os.path.basename(broken)}*'", p.stderr)

    def test_a_worker_that_crashes_under_valgrind_fails_the_run(self):
        p = allocbench("run", "--measure", "instructions", "--backend", "system", "--workload", "test-crash",
                       "--counting", "off", "--warmup", "0", "--reps", "1")
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("rep 1/1: the worker was killed by signal 11", p.stderr)

    def test_memory_over_time_needs_the_counted_run(self):
        p = allocbench("run", "--measure", "instructions", "--backend", "system", *CHURN, "--counting", "off",
                       "--max-rss", "1G")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--max-rss/--max-live: with --measure instructions, memory over time comes from the counted run",
                      p.stderr)


if __name__ == "__main__":
    unittest.main()
