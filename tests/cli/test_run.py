import json
import os
import pty
import re
import statistics
import subprocess
import tempfile
import unittest

from harness import ALLOCBENCH, BACKENDS, PROVIDERS, SMALL, allocbench, run_json, small_params

METRICS = {"wall_ns", "cpu_user_ns", "cpu_sys_ns", "ops_per_s", "peak_live_bytes", "allocs", "frees",
           "bytes_allocated", "live_bytes_at_end", "peak_rss_bytes", "rss_end_bytes", "minor_faults",
           "major_faults", "ctx_switches_vol", "ctx_switches_invol"}
DETERMINISTIC = ("allocs", "frees", "bytes_allocated", "live_bytes_at_end")
# Seen where the allocator calls libc's madvise, munmap and mremap: not glibc's malloc.
RETURNS = {"madvise_calls", "madvise_bytes", "madv_dontneed_bytes", "madv_free_bytes", "munmap_calls", "munmap_bytes",
           "mremap_calls", "return_syscalls_ns"}
COUNTED = {"peak_live_bytes", *DETERMINISTIC, *RETURNS}  # from the one counted, untimed repetition


class RunAllTest(unittest.TestCase):
    """One real run of every backend on every workload, checked from several sides."""

    @classmethod
    def setUpClass(cls):
        cls.proc, cls.report = run_json("--reps", "2", "--warmup", "1")

    def test_succeeds_with_only_the_report_on_stdout(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.assertEqual(self.proc.stderr, "")  # not a terminal: no progress
        self.assertEqual(self.report["schema"], "allocbench-results/1")

    def test_environment_fingerprint(self):
        env = self.report["environment"]
        for key in ("host", "cpu", "cores", "kernel", "compiler", "build_type", "allocbench_version", "git_commit"):
            self.assertIn(key, env)
        self.assertGreaterEqual(env["cores"], 1)

    def test_every_cell_has_every_metric_over_the_measured_reps(self):
        cells = {(r["backend"], r["workload"]) for r in self.report["results"]}
        self.assertEqual(cells, {(b, w) for b in BACKENDS for w in SMALL})
        for r in self.report["results"]:
            with self.subTest(backend=r["backend"], workload=r["workload"]):
                self.assertEqual(r["reps"], 2)
                self.assertEqual(set(r["metrics"]), METRICS | (set() if r["backend"] in ("system", "pool") else RETURNS))
                for name, m in r["metrics"].items():
                    self.assertEqual(len(m["samples"]), 1 if name in COUNTED else 2, name)
                    self.assertEqual(m["min"], min(m["samples"]))
                    self.assertEqual(m["max"], max(m["samples"]))
                    self.assertIn(m["better"], ("lower", "higher"))
                self.assertGreater(r["metrics"]["wall_ns"]["median"], 0)
                self.assertEqual(r["metrics"]["live_bytes_at_end"]["max"], 0)  # no workload leaks

    def test_malloc_comes_from_the_backends_own_library(self):
        for r in self.report["results"]:
            with self.subTest(backend=r["backend"], workload=r["workload"]):
                self.assertTrue(r["malloc_provider"].startswith(PROVIDERS[r["backend"]]), r["malloc_provider"])

    def test_every_backend_does_the_same_work(self):
        for workload in SMALL:
            rows = [r for r in self.report["results"] if r["workload"] == workload]
            with self.subTest(workload=workload):
                self.assertEqual(len(rows), len(BACKENDS))
                self.assertEqual(len({r["checksum"] for r in rows}), 1)
                for metric in DETERMINISTIC:
                    values = {v for r in rows for v in r["metrics"][metric]["samples"]}
                    self.assertEqual(len(values), 1, metric)
                    self.assertTrue(all(r["metrics"][metric]["deterministic"] for r in rows), metric)
                self.assertEqual(len({json.dumps(r["params"], sort_keys=True) for r in rows}), 1)

    def test_multithreaded_peak_reports_its_error_bound(self):
        threaded = [r for r in self.report["results"] if r["threads"] > 1]
        self.assertGreaterEqual(len(threaded), len(BACKENDS))  # connection-pool and pool-contention at least
        for r in threaded:
            # threads that allocated × 64 KiB; 0 when only one of them did (then the peak is exact)
            bound = r["peak_live_error_bound"]
            self.assertTrue(bound == 0 or (bound % 65536 == 0 and 2 <= bound // 65536 <= r["threads"] + 1), bound)
            self.assertFalse(r["metrics"]["peak_live_bytes"]["deterministic"])


class DeterminismTest(unittest.TestCase):
    def test_single_threaded_peak_is_identical_across_backends(self):
        workloads = tuple(SMALL)
        p, report = run_json("--reps", "1", "--warmup", "0", "--threads", "1", workloads=workloads)
        self.assertEqual(p.returncode, 0, p.stderr)
        for workload in workloads:
            rows = [r for r in report["results"] if r["workload"] == workload]
            with self.subTest(workload=workload):
                self.assertEqual(len(rows), len(BACKENDS))
                self.assertEqual(len({r["metrics"]["peak_live_bytes"]["median"] for r in rows}), 1)
                self.assertEqual(rows[0]["peak_live_error_bound"], 0)
                self.assertTrue(rows[0]["metrics"]["peak_live_bytes"]["deterministic"])
                self.assertGreater(rows[0]["metrics"]["peak_live_bytes"]["median"], 0)

    def test_seed_changes_the_work_and_is_recorded(self):
        _, one = run_json("--backend", "system", "--reps", "1", "--warmup", "0", workloads=("small-object-churn",))
        _, two = run_json("--backend", "system", "--reps", "1", "--warmup", "0", "--seed", "2",
                          workloads=("small-object-churn",))
        self.assertEqual(two["results"][0]["seed"], 2)
        self.assertNotEqual(one["results"][0]["checksum"], two["results"][0]["checksum"])

    def test_params_change_the_work(self):
        _, big = run_json("--backend", "system", "--reps", "1", "--warmup", "0",
                          "--param", "small-object-churn.max_size=64K", workloads=("small-object-churn",))
        _, small = run_json("--backend", "system", "--reps", "1", "--warmup", "0", workloads=("small-object-churn",))
        self.assertEqual(big["results"][0]["params"]["max_size"], 65536)
        self.assertGreater(big["results"][0]["metrics"]["bytes_allocated"]["median"],
                           2 * small["results"][0]["metrics"]["bytes_allocated"]["median"])


class OutputTest(unittest.TestCase):
    args = ("--backend", "system", "--workload", "small-object-churn", "--reps", "2", "--warmup", "0",
            *small_params(["small-object-churn"]))
    ops = int(dict(p.split("=") for p in SMALL["small-object-churn"])["ops"])

    def test_table_is_the_default(self):
        p = allocbench("run", *self.args)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, rf"^small-object-churn · 1 thread · 2 reps · seed 1 · allocate=1 max_size=1024 ops={self.ops} ")
        self.assertIn("vs fastest", p.stdout)
        self.assertRegex(p.stdout, r"(?m)^\s+system\s+[\d.]+ (ns|µs|ms|s)\s+[\d.]+%")

    def test_markdown_and_csv(self):
        md = allocbench("run", *self.args, "--format", "markdown").stdout
        self.assertIn("### small-object-churn", md)
        self.assertIn("|---|--:|", md)
        csv = allocbench("run", *self.args, "--format", "csv").stdout.splitlines()
        self.assertEqual(csv[0], "backend,backend_version,workload,params,seed,threads,reps,metric,unit,median,min,max")
        metrics = [line.split(",")[7] for line in csv[1:]]
        standard = [m for m in metrics if not m.startswith("allocator.")]
        self.assertEqual(len(standard), 15)
        self.assertIn("allocator.allocated_bytes", metrics)  # glibc's mallinfo2
        self.assertTrue(any(",wall_ns,ns," in line for line in csv))

    def test_bmf_holds_every_metric_of_every_cell_as_bencher_reads_it(self):
        results = json.loads(allocbench("run", *self.args, "--format", "json").stdout)["results"][0]
        bmf = json.loads(allocbench("run", *self.args, "--format", "bmf").stdout)
        self.assertEqual(list(bmf), ["small-object-churn/system"])
        measures = bmf["small-object-churn/system"]
        # Bencher's own measures for time and throughput; the rest under allocbench's names,
        # with the allocator's own statistics beside them.
        expected = {{"wall_ns": "latency", "ops_per_s": "throughput"}.get(m, m) for m in results["metrics"]}
        self.assertLessEqual(expected, set(measures))
        self.assertIn("allocator.allocated_bytes", measures)  # glibc's mallinfo2
        self.assertTrue(all(m.startswith("allocator.") for m in set(measures) - expected))
        for name in ("peak_live_bytes", "peak_rss_bytes", "allocs", "bytes_allocated"):
            self.assertIn(name, measures)
        for m in measures.values():
            self.assertEqual(set(m), {"value", "lower_value", "upper_value"})
            self.assertLessEqual(m["lower_value"], m["value"])
            self.assertLessEqual(m["value"], m["upper_value"])
        # The figures are the run's own: one run, saved as a baseline and reported as BMF.
        with tempfile.TemporaryDirectory() as d:
            saved = os.path.join(d, "saved.json")
            bmf = json.loads(allocbench("run", *self.args, "--format", "bmf", "--save-baseline", saved).stdout)
            with open(saved) as f:
                metrics = json.load(f)["results"][0]["metrics"]
        for name, s in metrics.items():
            m = bmf["small-object-churn/system"][{"wall_ns": "latency", "ops_per_s": "throughput"}.get(name, name)]
            self.assertEqual((m["value"], m["lower_value"], m["upper_value"]), (s["median"], s["min"], s["max"]), name)

    def test_gbench_is_google_benchmarks_json_and_its_compare_py_reads_it(self):
        runs = []
        for _ in range(2):
            runs.append(json.loads(allocbench("run", *self.args[:4], "--reps", "3", *self.args[6:],
                                              "--format", "gbench").stdout))
        context, benchmarks = runs[0]["context"], runs[0]["benchmarks"]
        for field in ("date", "host_name", "num_cpus", "mhz_per_cpu", "caches", "library_build_type"):
            self.assertIn(field, context)
        self.assertEqual(context["library_build_type"], "release")
        name = "small-object-churn/system"
        iterations = [b for b in benchmarks if b["run_type"] == "iteration"]
        self.assertEqual([b["repetition_index"] for b in iterations], [0, 1, 2])
        for b in iterations:  # what compare.py, github-action-benchmark and Bencher's adapter read
            self.assertEqual((b["name"], b["time_unit"], b["repetitions"], b["iterations"], b["threads"]),
                             (name, "ns", 3, 1, 1))
            self.assertGreater(b["real_time"], 0)
            self.assertGreater(b["cpu_time"], 0)
            self.assertGreater(b["peak_rss_bytes"], 0)  # memory figures as user counters
            self.assertEqual(b["allocs"], self.ops)
        aggregates = {b["aggregate_name"]: b for b in benchmarks if b["run_type"] == "aggregate"}
        self.assertEqual(list(aggregates), ["mean", "median", "stddev", "cv"])
        times = sorted(b["real_time"] for b in iterations)
        self.assertEqual(aggregates["median"]["name"], name + "_median")
        self.assertEqual(aggregates["median"]["real_time"], times[1])
        self.assertAlmostEqual(aggregates["mean"]["real_time"], sum(times) / 3, delta=1)
        self.assertEqual(aggregates["cv"]["aggregate_unit"], "percentage")
        for agg, value in (("stddev", statistics.stdev(times)), ("cv", statistics.stdev(times) / statistics.mean(times))):
            self.assertAlmostEqual(aggregates[agg]["real_time"], value, delta=abs(value) * 1e-9 + 1e-9)
        for b in iterations:  # counters belong to their own repetition
            self.assertIn(b["peak_rss_bytes"], runs[0]["benchmarks"][b["repetition_index"]].values())
        # A failed cell is reported as Google Benchmark reports a failed benchmark.
        p = allocbench("run", "--backend", "system", "--workload", "cmd:false", "--reps", "1", "--format", "gbench")
        self.assertEqual(p.returncode, 3)
        failed = json.loads(p.stdout)["benchmarks"]
        self.assertEqual([(b["name"], b["error_occurred"]) for b in failed], [("cmd:false/system", True)])
        self.assertIn("exited with code 1", failed[0]["error_message"])
        p = allocbench("run", *self.args, "--measure", "instructions", "--format", "gbench")
        self.assertEqual(p.returncode, 2)
        self.assertIn("--format gbench: Google Benchmark's JSON holds times", p.stderr)

        compare_py = "/usr/share/benchmark/compare.py"  # Debian's libbenchmark-tools, which install-deps.sh installs
        scipy = subprocess.run(["/usr/bin/python3", "-c", "import scipy"], capture_output=True)
        if not os.path.exists(compare_py) or scipy.returncode != 0:
            self.skipTest("Google Benchmark's compare.py or python3-scipy is missing: run install-deps.sh")
        with tempfile.TemporaryDirectory() as d:
            files = []
            for i, run in enumerate(runs):
                files.append(os.path.join(d, f"{i}.json"))
                with open(files[-1], "w") as f:
                    json.dump(run, f)
            p = subprocess.run(["/usr/bin/python3", compare_py, "--no-color", "benchmarks", *files],
                               capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        pvalue = re.search(r"(?m)^small-object-churn/system_pvalue\s+([\d.]+)\s+([\d.]+)\s+U Test, Repetitions: 3 vs 3",
                           p.stdout)
        self.assertIsNotNone(pvalue, p.stdout)
        # Its U test is scipy's two-sided one on our repetitions' times.
        old, new = ([b["real_time"] for b in r["benchmarks"] if b["run_type"] == "iteration"] for r in runs)
        expected = subprocess.run(["/usr/bin/python3", "-c", "import sys, json; from scipy.stats import mannwhitneyu; "
                                   "a, b = json.loads(sys.argv[1]); print(mannwhitneyu(a, b, alternative='two-sided').pvalue)",
                                   json.dumps([old, new])], capture_output=True, text=True, check=True).stdout
        self.assertAlmostEqual(float(pvalue.group(1)), float(expected), places=4)
        # Each repetition's time, old and new, as compare.py lists it.
        self.assertIn(f"{int(old[0])}", p.stdout)

    def test_output_file_is_written_whole_and_stdout_stays_empty(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "results.json")
            p = allocbench("run", *self.args, "--format", "json", "--output", out)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stdout, "")
            with open(out) as f:
                self.assertEqual(json.load(f)["schema"], "allocbench-results/1")
            self.assertEqual(os.listdir(d), ["results.json"])  # no temporary left behind

    def test_counting_off_reports_no_byte_counts(self):
        p, report = run_json("--backend", "system", "--reps", "1", "--warmup", "0", "--counting", "off",
                             workloads=("small-object-churn",))
        self.assertEqual(p.returncode, 0, p.stderr)
        r = report["results"][0]
        self.assertFalse(r["counting"])
        self.assertNotIn("peak_live_bytes", r["metrics"])
        self.assertIn("wall_ns", r["metrics"])
        table = allocbench("run", *self.args, "--counting", "off").stdout
        self.assertIn("counting was off", table)

    def test_warmups_after_the_counted_run_are_discarded(self):
        p = allocbench("run", "--backend", "system", "--workload", "small-object-churn", "--reps", "2",
                       "--warmup", "3", "--verbose", *small_params(["small-object-churn"]))
        self.assertEqual(p.returncode, 0, p.stderr)
        rounds = [l.split(" · ")[-1] for l in p.stderr.splitlines() if l.startswith("[")]
        self.assertEqual(rounds, ["counted run", "warm-up 2/3", "warm-up 3/3", "rep 1/2", "rep 2/2"])

    def test_verbose_shows_repetitions_interleaved_across_cells(self):
        p = allocbench("run", "--backend", "system,mimalloc" if "mimalloc" in BACKENDS else "system",
                       "--workload", "small-object-churn", "--reps", "2", "--warmup", "1", "--verbose",
                       *small_params(["small-object-churn"]))
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = [l for l in p.stderr.splitlines() if l.startswith("[")]
        backends = ["system", "mimalloc"] if "mimalloc" in BACKENDS else ["system"]
        expected = [f"{b} · small-object-churn · {rep}" for rep in ("counted run", "rep 1/2", "rep 2/2")
                    for b in backends]
        self.assertEqual([l.split("] ", 1)[1] for l in lines], expected)

    def test_progress_bar_on_a_terminal_only_on_stderr(self):
        master, slave = pty.openpty()
        p = subprocess.Popen([ALLOCBENCH, "run", *self.args, "--format", "json"], stdout=subprocess.PIPE,
                             stderr=slave, text=True)
        os.close(slave)
        out, _ = p.communicate(timeout=300)
        seen = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        os.close(master)
        self.assertEqual(p.returncode, 0)
        json.loads(out)  # stdout is the report alone
        self.assertIn(b"ETA", seen)
        self.assertIn(b"system \xc2\xb7 small-object-churn \xc2\xb7 rep", seen)


if __name__ == "__main__":
    unittest.main()
