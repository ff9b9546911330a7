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
HEADER = "size_min,size_max,rate,live,kept,lifetimes,threads,remote_percent"  # version 1, as hand-written here
V2_HEADER = "size_min,size_max,rate,live,kept,lifetimes,dies_in,threads,remote_percent"
# A program that builds a structure once and then processes it in rounds: its records live
# until it exits, each round's copies about one round (CPython, every object from malloc).
ROUNDS = """
import json, random
random.seed(7)
records = [{"id": i, "name": f"user{i}", "tags": [random.random() for _ in range(6)]} for i in range(4000)]
for k in range(8):
    back = json.loads(json.dumps(records[k * 500:(k + 1) * 500]))
    back.sort(key=lambda r: r["tags"][0])
    names = [r["name"].upper() for r in back]
"""


def rows_of(profile):
    with open(profile) as f:
        return list(csv.DictReader(l for l in f if not l.startswith(("#", "version"))))


def shares(histogram):
    total = sum(b["count"] for b in histogram)
    return [100 * b["count"] / total for b in histogram]


class ProfileTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="allocbench-profile-")
        self.addCleanup(shutil.rmtree, self.tmp)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def written(self, name, text):
        """A profile file of this text, by its path."""
        with open(self.path(name), "w") as f:
            f.write(text)
        return self.path(name)

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
        """The profile replayed by the system worker under the real recorder: trace-info of that. Without ops, as
        many operations as the profile's program made (its default)."""
        trace = self.path("replay.trace")
        p = subprocess.run([os.environ["ALLOCBENCH"], "record", "-o", trace, "--",
                            os.path.join(BUILD_DIR, "allocbench-worker-system"), "--workload", f"profile:{profile}",
                            *(["--param", f"ops={ops}"] if ops else []), "--preloaded", "liballocbench-recorder.so"],
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
        self.assertRegex(lines[1], rf"^version,2,parts,[0-9.;]+,operations,{recorded['operations']}$")
        self.assertEqual(lines[2], V2_HEADER)
        self.assertGreater(len(lines), 10)  # a line per size class

        # The worker's own few hundred allocations are in the replay's recording too.
        replayed = self.replay_recorded(profile, recorded["operations"])
        for mine, theirs in zip(shares(replayed["sizes"]), shares(recorded["sizes"])):
            self.assertAlmostEqual(mine, theirs, delta=1.0)
        for mine, theirs in zip(shares(replayed["lifetimes"]), shares(recorded["lifetimes"])):
            self.assertAlmostEqual(mine, theirs, delta=2.0)
        self.assertAlmostEqual(replayed["allocations"] / recorded["allocations"], 1, delta=0.03)
        # The peak of the replay's phase, as run reports it (the recording also holds the
        # worker's start, the profile read and the schedules drawn).
        peak = self.run_profile(profile, backends="system")[0]["metrics"]["peak_live_bytes"]["median"]
        self.assertAlmostEqual(peak / recorded["peak_live_bytes"], 1, delta=0.10)

    @unittest.skipIf(os.environ.get("ALLOCBENCH_TEST_SANITIZER"), "a sanitizer's runtime must be loaded first")
    def test_a_program_built_once_and_processed_in_rounds_round_trips_within_the_bounds(self):
        # Record, profile, replay the profile under the recorder, and set the two side by
        # side: peak live within 10%, size mix within 1 pp, lifetime shares within 5 pp.
        script, trace, profile = self.path("rounds.py"), self.path("rounds.trace"), self.path("rounds.csv")
        with open(script, "w") as f:
            f.write(ROUNDS)
        p = allocbench("record", "-o", trace, "--", "/usr/bin/python3", script,
                       env=dict(os.environ, PYTHONMALLOC="malloc", PYTHONHASHSEED="0"))
        self.assertEqual(p.returncode, 0, p.stderr)
        recorded = self.info(trace, "--profile", profile)
        self.assertGreater(recorded["operations"], 400_000)
        replayed = self.replay_recorded(profile, None)
        self.assertAlmostEqual(replayed["operations"] / recorded["operations"], 1, delta=0.05)  # its default
        for mine, theirs in zip(shares(replayed["sizes"]), shares(recorded["sizes"])):
            self.assertAlmostEqual(mine, theirs, delta=1.0)
        for mine, theirs in zip(shares(replayed["lifetimes"]), shares(recorded["lifetimes"])):
            self.assertAlmostEqual(mine, theirs, delta=5.0)
        peak = self.run_profile(profile, backends="system")[0]["metrics"]["peak_live_bytes"]["median"]
        self.assertAlmostEqual(peak / recorded["peak_live_bytes"], 1, delta=0.10)

        # One part, the profile of the whole run as one: its lifetimes cannot tell the
        # records from the rounds' copies, and the peak falls short.
        self.info(trace, "--profile", profile, "--parts", "1")
        one_part = self.run_profile(profile, backends="system")[0]["metrics"]["peak_live_bytes"]["median"]
        self.assertLess(one_part, peak)

    def test_a_version_1_profile_loads_and_a_later_one_is_refused(self):
        # As allocbench wrote it before the version line: one lifetime histogram for the run.
        old = self.written("v1.csv", f"# allocbench profile of app.trace: 200000 operations on 1 thread\n{HEADER}\n"
                           "17,32,250;250;250;250;250;250;250;250;250;0,400,0.5,0;0;0;0;0;0;0;0;10;20;30;20;10,1,0\n"
                           "100,200,250,100,0,,1,0\n")
        r = self.run_profile(old, "--param", f"profile:{old}.ops=200000", backends="system")[0]
        self.assertAlmostEqual(r["metrics"]["allocs"]["median"] / 95_000, 1, delta=0.03)  # 225 + 250 per 1000
        self.assertGreater(r["stats"]["kept_objects"], 0)
        v2 = "version,2,parts,3,operations,1000\n" + V2_HEADER
        cases = {"v3.csv": ("version,3,parts,10,operations,1000", "version '3' is not one this allocbench reads"),
                 "parts.csv": ("version,2,parts,0,operations,1000", "field parts: expected an integer from 1 to 100"),
                 "ends.csv": ("version,2,parts,0.5;0.4;1,operations,1000",
                              "field parts: expected fractions of the run separated by ';', each larger than the one "
                              "before, the last 1"),
                 "last end.csv": ("version,2,parts,0.5;0.9,operations,1000", "field parts: expected fractions"),
                 "shape.csv": ("version,2,parts,10", "expected 'version,2,parts,P,operations,N'"),
                 "v1 header.csv": ("version,2,parts,3,operations,1000\n" + HEADER + "\n16,16,1,5,0,,1,0",
                                   f"line 2: expected the header '{V2_HEADER}'"),
                 "count.csv": (v2 + "\n16,16,1;2,5,0,,,1,0",
                               "field rate: expected a number from 0 to 1000, or 3 separated by ';'"),
                 "histograms.csv": (v2 + "\n16,16,1,5,0,1;2|3,,1,0",
                                    "field lifetimes: expected at most 40 whole numbers separated by ';', once or 3"),
                 "dies_in.csv": (v2 + "\n16,16,1,5,0,1;2,1;2;3;4,1,0",
                                 "field dies_in: expected at most 3 whole numbers separated by ';'")}
        for name, (text, message) in cases.items():
            with self.subTest(name):
                self.written(name, f"# a comment\n{text}\n{V2_HEADER}\n16,16,1,5,0,,,1,0\n" if "_max" not in text
                             else text + "\n")
                p = allocbench("run", "--workload", f"profile:{self.path(name)}", "--backend", "system")
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn(self.path(name), p.stderr)
                self.assertIn(message, p.stderr)
        p = allocbench("run", "--workload", f"profile:{self.path('v3.csv')}", "--backend", "system")
        self.assertIn("write the profile again with this allocbench's trace-info --profile", p.stderr)

    def test_a_hand_written_version_2_profile_has_parts_of_its_own_lengths_and_its_programs_operations(self):
        # The first fifth of 100,000 operations builds (900 allocations per 1000, all kept to
        # the end); the rest churns 64-byte objects that die in the part they are born in
        # or the next.
        profile = self.written("v2.csv", f"version,2,parts,0.2;0.6;1,operations,100000\n{V2_HEADER}\n"
                               "64,64,900;300;300,100,100;0;0,|1;2;3;4;5;6;7;8;9;10;11;12|1;2;3;4;5;6;7;8;9;10;11;12,"
                               "|1;1|1,1,0\n")
        r = self.run_profile(profile, backends="system")[0]
        self.assertEqual(r["params"]["ops"], 100_000)  # the version line's
        allocs = r["metrics"]["allocs"]["median"]
        self.assertAlmostEqual(allocs / (0.9 * 20_000 + 0.3 * 80_000), 1, delta=0.03)
        self.assertAlmostEqual(r["stats"]["kept_objects"] / 18_000, 1, delta=0.03)
        self.assertAlmostEqual(r["metrics"]["peak_live_bytes"]["median"] / (64 * 18_000), 1, delta=0.05)

    def test_a_quiet_part_does_not_hide_the_busy_one_after_it(self):
        # An allocation drawn at the quiet part's rate would come long after the run: the
        # busy part's rate takes over at its start.
        profile = self.written("quiet.csv", f"version,2,parts,0.5;1,operations,100000\n{V2_HEADER}\n"
                               "32,32,0.01;500,10,0,1;1;1,,1,0\n")
        r = self.run_profile(profile, backends="system")[0]
        self.assertAlmostEqual(r["metrics"]["allocs"]["median"] / 25_000, 1, delta=0.03)

    def test_a_real_programs_profile_runs_on_every_backend_with_its_threads(self):
        trace, profile = self.path("program.trace"), self.path("program.csv")
        p = allocbench("record", "-o", trace, "--", PROGRAM, "3", "4000")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.info(trace, "--profile", profile)
        rows = rows_of(profile)
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
        # Its first parts only allocate (up to 20,000 live objects): their rates add up to
        # 1000 exactly, and rounding each to six digits must not push the sum over.
        trace, profile = self.path("grow.trace"), self.path("grow.csv")
        subprocess.run([MAKE_TRACE, trace, "50000", "1", "20000", "1", "0"], check=True)
        self.info(trace, "--profile", profile)
        rows = rows_of(profile)
        first_part = sum(float(r["rate"].split(";")[0]) for r in rows)
        self.assertAlmostEqual(first_part, 1000, delta=0.01)
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
                          "lines 2-3, field rate: in part 1 of the run the rates add up to 1800"),
            "no rate.csv": (f"{HEADER}\n100,200,0,5,0,1,1,0\n", "line 2, field rate: expected a rate above 0 in some part"),
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
