"""run --latency: the time of every allocator call of a latency repetition's phase, as
percentiles per kind of call, against a preloaded glibc with a known tail."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import BUILD_DIR, allocbench, check_usage_errors

STALL = os.path.join(BUILD_DIR, "tests", "libstall_malloc.so")
CHURN = ["--workload", "small-object-churn", "--reps", "3", "--latency", "--format", "json"]  # medians of 3: a loaded machine moves one


def stalling(directory, every, wait_us=0, faults=0):
    """A copy of the stalling glibc named for its period and its wait or page faults
    (tests/programs/stall_malloc.cpp)."""
    stall = f"wait{wait_us}" if wait_us else f"faults{faults}"
    path = os.path.join(directory, f"libstall_malloc.every{every}.{stall}.so")
    shutil.copy(STALL, path)
    return f"preload:{path}"


@unittest.skipUnless(os.path.exists(STALL) and not os.environ.get("ALLOCBENCH_TEST_SANITIZER"),
                     "a preloaded malloc cannot stand beside a sanitizer's")
class KnownTailTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def rows(self, backends, ops):
        p = allocbench("run", "--backend", ",".join(backends), *CHURN, "--param", f"small-object-churn.ops={ops}")
        self.assertEqual(p.returncode, 0, p.stderr)
        report = json.loads(p.stdout)
        self.assertIn(report["environment"]["latency_clock"], ("tsc", "clock_gettime"))
        self.slow_calls = {r["backend"]: r.get("slow_calls", []) for r in report["results"]}
        return {r["backend"]: {k: v["median"] for k, v in r["metrics"].items()} for r in report["results"]}

    def test_a_stall_on_every_500th_malloc_is_the_p99_9(self):
        stall = stalling(self.dir.name, 500, 20)
        rows = self.rows(["system", stall], 200000)
        plain, tail = rows["system"], rows[stall]
        self.assertEqual(tail["malloc_calls_timed"], 200000)
        self.assertGreaterEqual(tail["malloc_p999_ns"], 20000)  # 0.2% of the calls wait 20 µs
        self.assertLess(plain["malloc_p999_ns"], 20000)
        self.assertLess(tail["malloc_p99_ns"], 20000)
        # The common call is glibc's: within 10%, or within the clock's step (10 ns on this machine's TSC).
        self.assertLessEqual(abs(tail["malloc_p50_ns"] - plain["malloc_p50_ns"]),
                             max(0.1 * plain["malloc_p50_ns"], tail["latency_resolution_ns"]))
        self.assertLess(tail["free_p999_ns"], 20000)  # frees never wait
        self.assertGreater(tail["latency_timer_ns"], 0)

    def test_a_stall_on_every_100000th_malloc_shows_in_the_max_only(self):
        stall = stalling(self.dir.name, 100000, 50)
        tail = self.rows([stall], 1000000)[stall]  # 10 stalls of a million calls: 0.001%
        self.assertGreaterEqual(tail["malloc_max_ns"], 50000)
        self.assertLess(tail["malloc_p999_ns"], 50000)
        self.assertLess(tail["malloc_p9999_ns"], 50000)

    def test_a_tail_of_page_faults_is_told_from_a_tail_of_waiting(self):
        # A wait of 200 µs is beyond glibc's own slowest calls, which fault: the waiting tail is
        # the waits alone (with 20 µs, a loaded machine put glibc's faulting calls in it: 13%).
        waits, faults = stalling(self.dir.name, 500, wait_us=200), stalling(self.dir.name, 500, faults=8)
        rows = self.rows([waits, faults], 200000)
        if "malloc_faulted_calls" not in rows[faults]:
            self.skipTest("perf events are refused on this machine: faults are not attributed")
        self.assertGreaterEqual(rows[faults]["malloc_faulted_calls"], 400)  # 0.2% of the calls fault 8 pages each
        self.assertGreaterEqual(rows[faults]["malloc_p999_faulted_share"], 0.9)
        self.assertLessEqual(rows[waits]["malloc_p999_faulted_share"], 0.1)  # waiting is not faulting
        # The slowest single calls say the same, one by one: 16 kept of 3 repetitions' 1,200 stalls.
        for backend, faulted in ((waits, False), (faults, True)):
            slow = self.slow_calls[backend]
            self.assertEqual(len(slow), 16)
            self.assertEqual([c["ns"] for c in slow], sorted((c["ns"] for c in slow), reverse=True))
            self.assertTrue(all(1 <= c["size"] <= 1024 and c["thread"] == 0 and c["rep"] in (1, 2, 3) for c in slow), slow)
            # Most of them: under ctest -j2 a loaded machine preempted 3 of glibc's own faulting calls into
            # them, and once a free (3 ms) into the faulting stall's.
            self.assertGreaterEqual(sum(c["call"] == "malloc" for c in slow), 12, slow)
            self.assertGreaterEqual(sum(c["faulted"] == faulted for c in slow), 10, slow)
        self.assertTrue(all(c["ns"] >= 200000 for c in self.slow_calls[waits]), self.slow_calls[waits])

    def test_every_call_of_known_size_is_in_its_size_band(self):
        stall = stalling(self.dir.name, 500, 20)
        tail = self.rows([stall], 200000)[stall]
        for kind in ("malloc", "free"):  # churn's sizes are 1..1024 B; its frees are sized
            bands = {band: tail.get(f"{kind}_{band}_calls_timed", 0) for band in ("le_64", "le_1k", "le_128k", "gt_128k")}
            self.assertEqual(sum(bands.values()), tail[f"{kind}_calls_timed"], bands)
            self.assertGreater(bands["le_64"], 0)
            self.assertGreater(bands["le_1k"], bands["le_64"])
            self.assertEqual(bands["le_128k"] + bands["gt_128k"], 0)
        for band in ("le_64", "le_1k"):  # the stalls come every 500th call, whatever its size
            self.assertGreaterEqual(tail[f"malloc_{band}_p999_ns"], 20000)
            self.assertLess(tail[f"malloc_{band}_p99_ns"], 20000)
            self.assertLess(tail[f"free_{band}_p999_ns"], 20000)

    def test_the_table_shows_the_percentiles_and_the_clock(self):
        p = allocbench("run", "--backend", "system", "--workload", "small-object-churn", "--param",
                       "small-object-churn.ops=20000", "--reps", "1", "--latency")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"small-object-churn · time of single calls \(--latency.*\n"
                                   r"   backend\s+call\s+calls\s+p50\s+p90\s+p99\s+p99\.9\s+p99\.99\s+max(\s+faulted\s+>=p99\.9\s+>=p99\.99)?\n"
                                   r"   system\s+malloc\s+20\.0 k .*\n   system\s+free\s+20\.0 k ")
        self.assertRegex(p.stdout, r"note: clock: (tsc|clock_gettime); its own cost, .* per call, is taken off")
        self.assertRegex(p.stdout, r"small-object-churn · the slowest single calls \(--latency.*\n"
                                   r"   backend\s+time\s+call\s+size\s+thread\s+faulted\s+rep\n"
                                   r"   system\s+[\d.]+ [nµm]?s\s+(malloc|free)\s+[\d.]+ (B|KiB)\s+0\s+(yes|no|-)\s+1\n")
        self.assertNotIn("<=64 B", p.stdout)  # the size bands are shown with --stats
        p = allocbench("run", "--backend", "system", "--workload", "small-object-churn", "--param",
                       "small-object-churn.ops=20000", "--reps", "1", "--latency", "--stats")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"   system\s+malloc\s+20\.0 k .*\n\s+<=64 B\s+[\d.]+ k .*\n\s+65 B-1 KiB\s+[\d.]+ k ")

    def test_a_percentile_is_gated_with_the_latency_repetitions_as_samples(self):
        stall = stalling(self.dir.name, 500, 20)
        p = allocbench("run", "--backend", f"system,{stall}", "--reference", "system", "--workload",
                       "small-object-churn", "--param", "small-object-churn.ops=100000", "--reps", "5", "--latency",
                       "--metric", "malloc_p999_ns,free_p999_ns", "--threshold", "malloc_p999_ns=50,free_p999_ns=300",
                       "--format", "json")
        self.assertEqual(p.returncode, 1, p.stderr)  # the stalls are a regression of malloc's p99.9
        report = json.loads(p.stdout)
        tail = next(r for r in report["results"] if r["backend"] == stall)["metrics"]
        self.assertEqual(len(tail["malloc_p999_ns"]["samples"]), 5)  # one per latency repetition
        self.assertEqual(len(tail["wall_ns"]["samples"]), 5)
        rows = {row["metric"]: row for row in report["comparison"]["comparisons"]}
        self.assertEqual(rows["malloc_p999_ns"]["verdict"], "regression")
        self.assertLess(rows["malloc_p999_ns"]["p"], 0.05)
        # Frees never wait: glibc's both sides, within what a loaded machine moves a 100 ns p99.9
        # (300%; the stalls' 20 µs against glibc's few hundred ns are judged at 50%).
        self.assertEqual(rows["free_p999_ns"]["verdict"], "unchanged")

    def test_latency_runs_without_the_counting_wrapper_too(self):
        p = allocbench("run", "--backend", "system", "--workload", "small-object-churn", "--param",
                       "small-object-churn.ops=20000", "--reps", "2", "--latency", "--counting", "off", "--format", "json")
        self.assertEqual(p.returncode, 0, p.stderr)
        metrics = json.loads(p.stdout)["results"][0]["metrics"]
        self.assertEqual(metrics["malloc_calls_timed"]["samples"], [20000, 20000])
        self.assertNotIn("allocs", metrics)


class ReplayedCallsTest(unittest.TestCase):
    def test_a_replay_times_every_call_by_its_kind(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "app.trace")
            subprocess.run([os.path.join(BUILD_DIR, "tests", "make_trace"), path, "100000", "2", "2000", "1"], check=True)
            calls = json.loads(allocbench("trace-info", path, "--format", "json").stdout)["per_operation"]
            p = allocbench("run", "--backend", "system", "--workload", f"trace:{path}", "--reps", "1", "--latency",
                           "--format", "json", env={"ALLOCBENCH_CACHE_DIR": os.path.join(tmp, "cache")})
            self.assertEqual(p.returncode, 0, p.stderr)
            metrics = json.loads(p.stdout)["results"][0]["metrics"]
            timed = {kind: metrics.get(f"{kind}_calls_timed", {"median": 0})["median"]
                     for kind in ("malloc", "free", "realloc", "calloc", "aligned")}
            # malloc and operator new as malloc, posix_memalign as aligned, free and delete as free.
            self.assertEqual(timed, {"malloc": calls["malloc"] + calls["new"], "free": calls["free"] + calls["delete"],
                                     "realloc": calls["realloc"], "calloc": 0, "aligned": calls["posix_memalign"]})


class LatencyUsageTest(unittest.TestCase):
    def test_bad_latency_flags_exit_2_naming_them(self):
        check_usage_errors(self, ["run", "--workload", "empty"], [
            (["--latency", "--measure", "instructions"], "--latency: times calls on the machine's clock"),
            (["--latency", "--metric", "malloc_p95_ns"], "malloc_p95_ns"),
        ])
        p = allocbench("run", "--workload", "cmd:true", "--latency")
        self.assertEqual(p.returncode, 2)
        self.assertIn("--latency: does not apply to cmd: workloads", p.stderr)


if __name__ == "__main__":
    unittest.main()
