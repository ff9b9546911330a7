"""run --shard K/N and merge: a run split over CI jobs and put back together gives the
cells of the whole run, once each, in a file every command takes."""
import json
import os
import tempfile
import unittest

from harness import BACKENDS, allocbench, small_params

WORKLOADS = ["small-object-churn", "connection-pool", "pool-contention"]
RUN = ("run", "--backend", ",".join(BACKENDS), "--workload", ",".join(WORKLOADS), "--reps", "2", "--warmup", "0",
       *small_params(WORKLOADS))


def cells(path):
    with open(path) as f:
        return sorted((r["backend"], r["workload"], json.dumps(r["params"]), r["seed"], r["threads"])
                      for r in json.load(f)["results"])


class ShardTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def run_ok(self, *args):
        p = allocbench(*args)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p

    def test_three_shards_merged_are_the_whole_run(self):
        parts = []
        for k in (1, 2, 3):
            parts.append(self.path(f"part{k}.json"))
            self.run_ok(*RUN, "--shard", f"{k}/3", "--format", "json", "--output", parts[-1])
        self.run_ok(*RUN, "--format", "json", "--output", self.path("whole.json"))
        sizes = [len(cells(p)) for p in parts]
        self.assertLessEqual(max(sizes) - min(sizes), 1)  # balanced
        self.assertEqual(sorted(c for p in parts for c in cells(p)), cells(self.path("whole.json")))  # disjoint, whole
        # As many parts as workloads: each part is one workload, its backends side by side.
        for p in parts:
            self.assertEqual(len({c[1] for c in cells(p)}), 1)
            self.assertEqual(sorted({c[0] for c in cells(p)}), sorted(BACKENDS))
        # Each entry keeps the environment it ran in: one part says it ran elsewhere.
        with open(parts[1]) as f:
            moved = json.load(f)
        for r in moved["results"]:
            r["environment"]["host"] = "another-runner"
        with open(parts[1], "w") as f:
            json.dump(moved, f)
        self.run_ok("merge", *parts, "-o", self.path("merged.json"))
        self.assertEqual(cells(self.path("merged.json")), cells(self.path("whole.json")))
        with open(self.path("merged.json")) as f:
            hosts = {r["workload"]: r["environment"]["host"] for r in json.load(f)["results"]}
        self.assertEqual(list(hosts.values()).count("another-runner"), 1)
        # The merged file is a results file like a run's: compare, --baseline and reports take it.
        p = allocbench("compare", self.path("merged.json"), self.path("whole.json"), "--ignore-env")
        self.assertIn(p.returncode, (0, 1), p.stderr)
        self.assertIn("against baseline", p.stdout)
        self.run_ok("report", self.path("merged.json"), "-o", self.path("merged.html"))
        with open(self.path("merged.html")) as f:
            self.assertIn("another-runner", f.read())  # the machines of a merged file, each named
        p = allocbench(*RUN, "--baseline", self.path("merged.json"))
        self.assertIn(p.returncode, (0, 1), p.stderr)
        self.assertIn("against baseline", p.stdout + p.stderr)
        self.run_ok("plot", self.path("merged.json"), "--output", self.path("merged.svg"))

    def test_a_shard_is_the_same_in_every_job(self):
        first, again = self.path("a.json"), self.path("b.json")
        self.run_ok(*RUN, "--shard", "2/4", "--format", "json", "--output", first)
        self.run_ok(*RUN, "--shard", "2/4", "--format", "json", "--output", again)
        self.assertEqual(cells(first), cells(again))

    def test_an_entry_in_two_parts_is_refused_naming_both_files(self):
        part = self.path("part.json")
        self.run_ok(*RUN, "--shard", "1/3", "--format", "json", "--output", part)
        other = self.path("other.json")
        more_reps = [("3" if i == RUN.index("--reps") + 1 else a) for i, a in enumerate(RUN)]
        self.run_ok(*more_reps, "--shard", "1/3", "--format", "json", "--output", other)  # other figures
        for second in (part, other):
            p = allocbench("merge", part, second, "-o", self.path("out.json"))
            self.assertEqual(p.returncode, 2)
            self.assertIn(f"'{part}' and '{second}' both hold", p.stderr)
            self.assertFalse(os.path.exists(self.path("out.json")))

    def test_a_reference_needs_the_whole_run(self):
        p = allocbench(*RUN, "--shard", "1/2", "--reference", BACKENDS[0])
        self.assertEqual(p.returncode, 2)
        self.assertIn("--reference: judges the backends of one run against each other", p.stderr)

    def test_bad_shards_and_parts_are_usage_errors(self):
        for shard in ("0/3", "4/3", "3", "a/b", "1/", "/2", "-1/2"):
            p = allocbench(*RUN, "--shard", shard)
            self.assertEqual(p.returncode, 2, shard)
            self.assertIn(f"--shard '{shard}': expected K/N", p.stderr)
        cells_in_run = len(BACKENDS) * len(WORKLOADS)
        p = allocbench(*RUN, "--shard", f"1/{cells_in_run + 1}")
        self.assertEqual(p.returncode, 2)
        self.assertIn("has none", p.stderr)
        broken = self.path("broken.json")
        with open(broken, "w") as f:
            f.write('{"schema": "allocbench-results/1", "results": [')
        p = allocbench("merge", broken, "-o", self.path("out.json"))
        self.assertEqual(p.returncode, 2)
        self.assertIn(broken, p.stderr)


if __name__ == "__main__":
    unittest.main()
