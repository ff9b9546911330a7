"""A tool that gates CI must never be the thing that breaks: failing workers, signals,
interrupted writes, long runs."""
import json
import os
import random
import signal
import subprocess
import tempfile
import time
import unittest

from harness import ALLOCBENCH, BACKENDS, allocbench, wait_until, workers_alive


FAILURES = [
    ("test-oom", "the worker was killed by signal 6 (Aborted)", "std::bad_alloc"),
    ("test-garbage", "the worker printed a report that is not JSON", None),
    ("test-silent", "the worker printed no report", None),
    ("test-exit", "the worker exited with code 7", None),
]


class FailingWorkerTest(unittest.TestCase):
    def test_each_way_a_worker_can_fail_is_reported_and_isolated(self):
        for workload, cause, tail in FAILURES:
            with self.subTest(workload):
                p = allocbench("run", "--backend", "system", "--workload", f"{workload},small-object-churn",
                               "--param", "small-object-churn.ops=2000", "--reps", "2", "--format", "json")
                self.assertEqual(p.returncode, 3, p.stderr)
                self.assertIn(f"backend 'system', workload '{workload}': counted run: {cause}", p.stderr)
                if tail and not os.environ.get("ALLOCBENCH_TEST_SANITIZER"):  # ASan's allocator words it its own way
                    self.assertIn(tail, p.stderr)
                done = [r["workload"] for r in json.loads(p.stdout)["results"]]
                self.assertEqual(done, ["small-object-churn"])

    def test_fail_fast_stops_keep_going_does_not(self):
        args = ["run", "--backend", "system", "--workload", "test-exit,small-object-churn",
                "--param", "small-object-churn.ops=2000", "--reps", "2", "--format", "json"]
        fast = allocbench(*args, "--fail-fast")
        self.assertEqual(fast.returncode, 3)
        self.assertEqual(json.loads(fast.stdout)["results"], [])
        self.assertIn("workload 'small-object-churn': not finished: --fail-fast stopped the run", fast.stderr)
        going = allocbench(*args, "--keep-going")
        self.assertEqual(going.returncode, 3)
        self.assertEqual(len(json.loads(going.stdout)["results"]), 1)
        self.assertEqual(allocbench(*args, "--keep-going", "--fail-fast").returncode, 2)


class InterruptTest(unittest.TestCase):
    def test_ctrl_c_stops_the_worker_reports_what_finished_and_writes_nothing(self):
        with tempfile.TemporaryDirectory() as d:
            baseline = os.path.join(d, "b.json")
            with open(baseline, "w") as f:
                f.write("old content, not even JSON")
            output = os.path.join(d, "out.json")
            p = subprocess.Popen([ALLOCBENCH, "run", "--backend", "system", "--workload",
                                  "small-object-churn,test-hang", "--param", "small-object-churn.ops=20000",
                                  "--counting", "off", "--warmup", "0", "--reps", "3", "--timeout", "120",
                                  "--format", "json", "--output", output, "--save-baseline", baseline + ".new"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self.assertTrue(wait_until(lambda: workers_alive("test-hang"), 10), "the hanging worker never started")
            start = time.monotonic()
            p.send_signal(signal.SIGINT)
            out, err = p.communicate(timeout=10)
            self.assertLess(time.monotonic() - start, 5)
            self.assertEqual(p.returncode, 3, err)
            self.assertIn("allocbench: interrupted after 1 of 6 repetitions: the report shows what finished; "
                          "no file was written", err)
            report = json.loads(out)
            self.assertEqual([(r["workload"], r["reps"]) for r in report["results"]], [("small-object-churn", 1)])
            self.assertEqual(sorted(os.listdir(d)), ["b.json"])
            with open(baseline) as f:
                self.assertEqual(f.read(), "old content, not even JSON")
            self.assertTrue(wait_until(lambda: not workers_alive("test-hang")), workers_alive("test-hang"))

    def test_a_killed_driver_takes_its_worker_with_it(self):
        p = subprocess.Popen([ALLOCBENCH, "run", "--backend", "system", "--workload", "test-hang", "--timeout", "120"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.assertTrue(wait_until(lambda: workers_alive("test-hang"), 10))
        p.kill()
        p.wait()
        self.assertTrue(wait_until(lambda: not workers_alive("test-hang")), workers_alive("test-hang"))


class InterruptedWriteTest(unittest.TestCase):
    def test_sigkill_at_random_moments_leaves_old_or_new_files_never_partial(self):
        rng = random.Random(7)
        with tempfile.TemporaryDirectory() as d:
            output, baseline = os.path.join(d, "out.json"), os.path.join(d, "b.json")
            args = [ALLOCBENCH, "run", "--workload", "empty", "--reps", "20", "--warmup", "0", "--format", "json",
                    "--output", output, "--save-baseline", baseline]
            start = time.monotonic()
            subprocess.run(args, check=True, capture_output=True)
            duration = time.monotonic() - start
            outcomes = {"old": 0, "new": 0}
            for i in range(30):
                before = {f: open(f).read() for f in (output, baseline)}
                p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(rng.uniform(0, 1.3 * duration))
                p.kill()
                p.wait()
                for f in (output, baseline):
                    with open(f) as fh:
                        text = fh.read()
                    self.assertEqual(json.loads(text)["schema"], "allocbench-results/1", f"{f} after kill {i}")
                    outcomes["old" if text == before[f] else "new"] += 1
                self.assertEqual(sorted(os.listdir(d)), ["b.json", "out.json"], f"stray files after kill {i}")
            self.assertGreater(outcomes["old"], 0)
            print(f"\nkilled 30 runs: files kept their old content {outcomes['old']} times, "
                  f"held the new one {outcomes['new']} times")


class LongRunTest(unittest.TestCase):
    def test_many_repetitions_and_threads_leak_no_descriptors_processes_or_memory(self):
        # The report goes to a file: a pipe nobody reads while polling would fill and block the driver.
        report = tempfile.NamedTemporaryFile(suffix=".json")
        p = subprocess.Popen([ALLOCBENCH, "run", "--workload", "empty,pool-contention", "--threads",
                              str(4 * os.cpu_count()), "--param", "pool-contention.ops=4000", "--reps", "60",
                              "--warmup", "0", "--format", "json", "--output", report.name],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        fds, children, rss = [], [], []
        while p.poll() is None:
            try:
                # Not before the exec: Python's child holds Python's descriptors until then.
                if os.path.basename(os.readlink(f"/proc/{p.pid}/exe")) == "allocbench":
                    fds.append(len(os.listdir(f"/proc/{p.pid}/fd")))
                    with open(f"/proc/{p.pid}/task/{p.pid}/children") as f:
                        children.append(len(f.read().split()))
                    with open(f"/proc/{p.pid}/status") as f:
                        rss.append(next(int(l.split()[1]) for l in f if l.startswith("VmRSS")))
            except (FileNotFoundError, ProcessLookupError, StopIteration):
                break
            time.sleep(0.02)
        _, err = p.communicate()
        self.assertEqual(p.returncode, 0, err)
        with open(report.name) as f:
            self.assertEqual(len(json.load(f)["results"]), 2 * len(BACKENDS))
        self.assertGreater(len(fds), 10, "too few samples of the driver")
        # While a worker starts, the driver holds both ends of two pipes and a pidfd at most.
        self.assertLessEqual(max(fds) - min(fds), 5, "file descriptors grow with the run")
        half = len(fds) // 2
        self.assertLessEqual(max(fds[half:]), max(fds[:half]), "file descriptors grow with the run")
        self.assertLessEqual(max(children), 1, "more than one worker at a time")
        # ASan's own heap, shadow and quarantine put its driver near 60 MiB before any growth.
        if not os.environ.get("ALLOCBENCH_TEST_SANITIZER"):
            self.assertLess(max(rss), 64 * 1024, "driver RSS over 64 MiB")
        self.assertTrue(wait_until(lambda: not workers_alive()), workers_alive())


class HugeFileTest(unittest.TestCase):
    def test_a_file_over_the_size_limit_is_refused_without_reading_it(self):
        with tempfile.NamedTemporaryFile(suffix=".json") as f:
            f.truncate(300 << 20)  # sparse: costs no disk
            p = allocbench("compare", f.name, f.name)
            self.assertEqual(p.returncode, 2)
            self.assertIn(f"results '{f.name}': is 300 MiB, more than the 256 MiB a results file can be", p.stderr)


if __name__ == "__main__":
    unittest.main()
