"""profile:FILE and trace-info --profile: a recording made into a profile, the profile run
on every backend, its replay recorded again with the real recorder and set beside the
original; hand-written profiles and broken ones."""
import csv
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import BACKENDS, BUILD_DIR, allocbench

PROGRAM = os.environ["ALLOCBENCH_TEST_PROGRAM"]  # tests/programs/alloc_threads.cpp
MAKE_TRACE = os.path.join(BUILD_DIR, "tests", "make_trace")
HEADER = "size_min,size_max,rate,live,kept,lifetimes,threads,remote_percent"


def shares(histogram):
    total = sum(b["count"] for b in histogram)
    return [100 * b["count"] / total for b in histogram]


class ProfileTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="allocbench-profile-")
        self.addCleanup(shutil.rmtree, self.tmp)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def info(self, trace, *args):
        p = allocbench("trace-info", trace, "--format", "json", *args)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)

    def run_profile(self, profile, *args, backends="all"):
        p = allocbench("run", "--workload", f"profile:{profile}", "--backend", backends, "--reps", "1", "--warmup", "0",
                       "--format", "json", *args)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)["results"]

    def replay_recorded(self, profile, ops):
        """The profile replayed by the system worker under the real recorder: trace-info of that."""
        trace = self.path("replay.trace")
        p = subprocess.run([os.environ["ALLOCBENCH"], "record", "-o", trace, "--",
                            os.path.join(BUILD_DIR, "allocbench-worker-system"), "--workload", f"profile:{profile}",
                            "--param", f"ops={ops}", "--preloaded", "liballocbench-recorder.so"],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        return self.info(trace)

    @unittest.skipIf(os.environ.get("ALLOCBENCH_TEST_SANITIZER"), "a sanitizer's runtime must be loaded first")
    def test_a_recording_replayed_from_its_profile_has_its_sizes_lifetimes_and_peak(self):
        # A real program in a steady state: the system worker churning a window of objects,
        # recorded; then its profile replayed, recorded too.
        trace, profile = self.path("steady.trace"), self.path("steady.csv")
        p = subprocess.run([os.environ["ALLOCBENCH"], "record", "-o", trace, "--",
                            os.path.join(BUILD_DIR, "allocbench-worker-system"), "--workload", "small-object-churn",
                            "--param", "ops=400000", "--param", "window=5000", "--preloaded",
                            "liballocbench-recorder.so"], capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        recorded = self.info(trace, "--profile", profile)
        with open(profile) as f:
            lines = f.read().splitlines()
        self.assertTrue(lines[0].startswith("# allocbench profile of"), lines[0])
        self.assertEqual(lines[1], HEADER)
        self.assertGreater(len(lines), 10)  # a line per size class

        # The worker's own few hundred allocations are in the replay's recording too.
        replayed = self.replay_recorded(profile, recorded["operations"])
        for mine, theirs in zip(shares(replayed["sizes"]), shares(recorded["sizes"])):
            self.assertAlmostEqual(mine, theirs, delta=1.0)
        for mine, theirs in zip(shares(replayed["lifetimes"]), shares(recorded["lifetimes"])):
            self.assertAlmostEqual(mine, theirs, delta=2.0)
        self.assertAlmostEqual(replayed["allocations"] / recorded["allocations"], 1, delta=0.03)
        self.assertAlmostEqual(replayed["peak_live_bytes"] / recorded["peak_live_bytes"], 1, delta=0.10)

    def test_a_real_programs_profile_runs_on_every_backend_with_its_threads(self):
        trace, profile = self.path("program.trace"), self.path("program.csv")
        p = allocbench("record", "-o", trace, "--", PROGRAM, "3", "4000")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.info(trace, "--profile", profile)
        with open(profile) as f:
            rows = list(csv.DictReader(l for l in f if not l.startswith("#")))
        self.assertTrue(any(float(r["remote_percent"]) > 0 for r in rows))  # alloc_threads hands objects on
        threads = max(int(r["threads"]) for r in rows)
        self.assertGreaterEqual(threads, 3)  # its workers, and main where it makes 5% of a class
        results = self.run_profile(profile, "--param", f"profile:{profile}.ops=60000")
        self.assertEqual(sorted(r["backend"] for r in results), BACKENDS)
        self.assertEqual(len({r["checksum"] for r in results}), 1)
        self.assertEqual(len({r["metrics"]["allocs"]["median"] for r in results}), 1)
        for r in results:
            self.assertEqual(r["threads"], threads)
            self.assertGreater(r["stats"]["remote_frees"], 0)
            self.assertEqual(r["metrics"]["live_bytes_at_end"]["median"], 0)

    def test_a_hand_written_profile_follows_littles_law(self):
        profile = self.path("hand.csv")
        with open(profile, "w") as f:
            f.write(f"# one class: half the operations allocate 100 bytes, 1000 objects live on average\n{HEADER}\n"
                    "100,100,500,1000,0,,1,0\n")
        r = self.run_profile(profile, backends="system")[0]
        allocs = r["metrics"]["allocs"]["median"]
        self.assertAlmostEqual(allocs / 1_000_000, 1, delta=0.01)  # 2,000,000 operations, half of them allocations
        self.assertAlmostEqual(r["metrics"]["peak_live_bytes"]["median"] / (1000 * 100), 1, delta=0.2)

    def test_allocate_0_does_the_same_work_without_the_allocator(self):
        profile = self.path("hand.csv")
        with open(profile, "w") as f:
            f.write(f"{HEADER}\n16,64,300,200,1,5;10;20;5;0;3,2,30\n1000,5000,100;0;0;0;0;0;0;0;0;50,50,0,,1,0\n")
        with_allocator = self.run_profile(profile, backends="system")[0]
        without = self.run_profile(profile, "--param", f"profile:{profile}.allocate=0", backends="system")[0]
        self.assertEqual(without["checksum"], with_allocator["checksum"])
        self.assertEqual(without["metrics"]["allocs"]["median"], 0)
        self.assertGreater(with_allocator["metrics"]["allocs"]["median"], 0)

    def test_a_tenth_without_allocations_and_lives_longer_than_the_run(self):
        # The last tenth only frees; lifetimes (Little's law) far beyond the run.
        profile = self.path("tail.csv")
        with open(profile, "w") as f:
            f.write(f"{HEADER}\n16,16,100;100;100;100;100;100;100;100;100;0,100000,0,,1,0\n")
        r = self.run_profile(profile, "--param", f"profile:{profile}.ops=200000", backends="system")[0]
        self.assertGreater(r["metrics"]["allocs"]["median"], 15000)
        self.assertGreater(r["stats"]["kept_objects"], 0)  # outlived the run: freed after the phase
        self.assertEqual(r["metrics"]["live_bytes_at_end"]["median"], 0)

    def test_a_program_that_only_allocates_for_a_while_round_trips_through_its_profile(self):
        # Its first tenths only allocate (up to 20,000 live objects): their rates add up to
        # 1000 exactly, and rounding each to six digits must not push the sum over.
        trace, profile = self.path("grow.trace"), self.path("grow.csv")
        subprocess.run([MAKE_TRACE, trace, "50000", "1", "20000", "1", "0"], check=True)
        self.info(trace, "--profile", profile)
        with open(profile) as f:
            rows = list(csv.DictReader(l for l in f if not l.startswith("#")))
        first_tenth = sum(float(r["rate"].split(";")[0]) for r in rows)
        self.assertAlmostEqual(first_tenth, 1000, delta=0.01)
        r = self.run_profile(profile, "--param", f"profile:{profile}.ops=50000", backends="system")[0]
        self.assertGreater(r["metrics"]["allocs"]["median"], 2 * r["metrics"]["frees"]["median"])

    def test_bad_profiles_are_refused_naming_the_line_and_field(self):
        good = "100,200,10,5,0,1;2;3,1,0"
        cases = {
            "header.csv": ("size,rate\n1,2\n", "line 1: expected the header"),
            "rate.csv": (f"# a comment\n{HEADER}\n100,200,fast,5,0,1;2;3,1,0\n", "line 3, field rate: expected a number"),
            "order.csv": (f"{HEADER}\n{good}\n300,200,10,5,0,1,1,0\n",
                          "line 3, field size_max: expected an integer from 300"),
            "fields.csv": (f"{HEADER}\n100,200,10\n", "line 2: expected 8 fields"),
            "kept.csv": (f"{HEADER}\n100,200,10,5,1;2;3,1,1,0\n", "line 2, field kept"),
            "lifetimes.csv": (f"{HEADER}\n100,200,10,5,0,1;-2,1,0\n", "line 2, field lifetimes"),
            "remote.csv": (f"{HEADER}\n100,200,10,5,0,1;2,1,40\n", "line 2, field remote_percent: expected 0"),
            "threads.csv": (f"{HEADER}\n100,200,10,5,0,1;2,0,0\n", "line 2, field threads"),
            "empty.csv": (f"{HEADER}\n", "at least one size class"),
            "rates.csv": (f"{HEADER}\n100,200,900,5,0,1,1,0\n100,200,900,5,0,1,1,0\n",
                          "lines 2-3, field rate: in tenth 1 of the run the rates add up to 1800"),
            "no rate.csv": (f"{HEADER}\n100,200,0,5,0,1,1,0\n", "line 2, field rate: expected a rate of at least"),
        }
        for name, (text, message) in cases.items():
            with self.subTest(name):
                with open(self.path(name), "w") as f:
                    f.write(text)
                p = allocbench("run", "--workload", f"profile:{self.path(name)}", "--backend", "system")
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn(self.path(name), p.stderr)
                self.assertIn(message, p.stderr)
                self.assertEqual(p.stdout, "")
        p = allocbench("run", "--workload", f"profile:{self.path('missing.csv')}", "--backend", "system")
        self.assertEqual(p.returncode, 2)
        self.assertIn("cannot be read", p.stderr)

    def test_trace_info_refuses_a_profile_it_cannot_write_before_reading_the_trace(self):
        trace = self.path("t.trace")
        subprocess.run([MAKE_TRACE, trace, "1000", "1"], check=True)
        p = allocbench("trace-info", trace, "--profile", self.path("no/such/dir/p.csv"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("--profile", p.stderr)
        self.assertEqual(p.stdout, "")


if __name__ == "__main__":
    unittest.main()
