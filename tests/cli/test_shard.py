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
        self.run_ok("merge", *parts, "-o", self.path("merged.json"))
        self.assertEqual(cells(self.path("merged.json")), cells(self.path("whole.json")))
        with open(self.path("merged.json")) as f:
            self.assertTrue(all("environment" in r for r in json.load(f)["results"]))  # each keeps its own
        # The merged file is a results file like a run's: compare, --baseline and reports take it.
        p = allocbench("compare", self.path("merged.json"), self.path("whole.json"))
        self.assertIn(p.returncode, (0, 1), p.stderr)
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

    def test_bad_shards_and_parts_are_usage_errors(self):
        for shard in ("0/3", "4/3", "3", "a/b", "1/", "/2", "-1/2"):
            p = allocbench(*RUN, "--shard", shard)
            self.assertEqual(p.returncode, 2, shard)
            self.assertIn(f"--shard '{shard}': expected K/N", p.stderr)
        cells_in_run = len(BACKENDS) * len(WORKLOADS)
        p = allocbench(*RUN, "--shard", f"{cells_in_run + 1}/{cells_in_run + 1}")
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
