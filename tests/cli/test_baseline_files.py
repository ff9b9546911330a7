"""Bad results and baseline files: exit 2 naming the file and the field; never modified."""
import copy
import hashlib
import json
import os
import tempfile
import unittest

from harness import allocbench

METRIC = {"median": 10, "min": 9, "max": 11, "samples": [9, 10, 11]}
GOOD = {
    "schema": "allocbench-results/1",
    "environment": {"host": "h", "cpu": "c", "cores": 2, "kernel": "k", "compiler": "g", "build_type": "Release",
                    "allocbench_version": "0.1.0", "git_commit": "abc"},
    "results": [{
        "backend": "system", "backend_version": "2.36", "malloc_provider": "libc.so.6",
        "workload": "small-object-churn", "params": {"ops": 100}, "seed": 1, "threads": 1, "counting": True,
        "checksum": "00ff", "reps": 3, "peak_live_error_bound": 0, "peak_rss_reset": True, "unsized_frees": 0,
        "stats": {}, "metrics": {"wall_ns": METRIC, "allocs": {"median": 5, "min": 5, "max": 5, "samples": [5]}},
    }],
}


def edited(change):
    doc = copy.deepcopy(GOOD)
    change(doc)
    return json.dumps(doc)


def set_in(path, value):
    def change(doc):
        node = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return change


def delete(path):
    def change(doc):
        node = doc
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
    return change


R0 = ["results", 0]
# (name, file content as bytes or str, text the error must contain)
CORPUS = [
    ("empty", "", "is empty, expected a results JSON file"),
    ("whitespace", "  \n\t", "is empty"),
    ("truncated", json.dumps(GOOD)[:200], "not valid JSON"),
    ("not json", "baseline: fast\n", "not valid JSON"),
    ("binary", bytes(range(256)) * 4, "not valid JSON"),
    ("top-level array", "[1, 2, 3]", "expected a JSON object at the top level, got array"),
    ("deeply nested", "[" * 100000 + "]" * 100000, "nested more than 32 levels deep"),
    ("no schema", edited(delete(["schema"])), "schema: missing, expected \"allocbench-results/1\""),
    ("other schema", edited(set_in(["schema"], "hyperfine/1")), "schema: expected \"allocbench-results/1\", got \"hyperfine/1\""),
    ("future schema", edited(set_in(["schema"], "allocbench-results/2")),
     "schema: \"allocbench-results/2\" is a version this allocbench does not read"),
    ("no environment", edited(delete(["environment"])), "environment: missing, expected an object"),
    ("results not a list", edited(set_in(["results"], {})), "results: expected an array, got {}"),
    ("non-numeric median", edited(set_in(R0 + ["metrics", "wall_ns", "median"], "fast")),
     "results[0].metrics.wall_ns.median: expected a non-negative number, got \"fast\""),
    ("negative sample", edited(set_in(R0 + ["metrics", "wall_ns", "samples"], [9, -1])),
     "results[0].metrics.wall_ns.samples[1]: expected a non-negative number, got -1"),
    ("non-finite", json.dumps(GOOD).replace('"median": 10', '"median": 1e999'),
     "not valid JSON (number overflow parsing '1e999')"),
    ("min above max", edited(set_in(R0 + ["metrics", "wall_ns", "min"], 12)),
     "results[0].metrics.wall_ns: expected min <= median <= max"),
    ("no samples", edited(set_in(R0 + ["metrics", "wall_ns", "samples"], [])),
     "results[0].metrics.wall_ns.samples: expected at least one sample"),
    ("missing wall_ns", edited(delete(R0 + ["metrics", "wall_ns"])), "results[0].metrics.wall_ns: missing"),
    ("missing backend", edited(delete(R0 + ["backend"])), "results[0].backend: missing, expected a string"),
    ("reps a string", edited(set_in(R0 + ["reps"], "five")), "results[0].reps: expected a non-negative integer, got \"five\""),
    ("negative threads", edited(set_in(R0 + ["threads"], -2)), "results[0].threads: expected a non-negative integer, got -2"),
    ("param not integer", edited(set_in(R0 + ["params", "ops"], 1.5)), "results[0].params.ops: expected an integer, got 1.5"),
    ("duplicate entry", edited(lambda d: d["results"].append(copy.deepcopy(d["results"][0]))),
     "results[1]: a second entry for backend 'system', workload 'small-object-churn' with the same params"),
]


class BadFileTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.good = os.path.join(self.dir.name, "good.json")
        with open(self.good, "w") as f:
            json.dump(GOOD, f)

    def tearDown(self):
        self.dir.cleanup()

    def write(self, content):
        path = os.path.join(self.dir.name, "bad.json")
        with open(path, "wb") as f:
            f.write(content.encode() if isinstance(content, str) else content)
        return path

    def assert_rejected(self, args, path, role, expected):
        with open(path, "rb") as f:
            before = hashlib.sha256(f.read()).hexdigest()
        p = allocbench(*args, timeout=60)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn(f"{role} '{path}': {expected}", p.stderr)
        self.assertEqual(p.stderr.count("\n"), 1, p.stderr)
        with open(path, "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), before, "the file was modified")

    def test_good_fixture_is_accepted(self):
        p = allocbench("compare", self.good, self.good)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_compare_rejects_each_bad_baseline(self):
        for name, content, expected in CORPUS:
            with self.subTest(name):
                self.assert_rejected(["compare", self.good, self.write(content)], os.path.join(self.dir.name, "bad.json"),
                                     "baseline", expected)

    def test_compare_rejects_each_bad_results_file(self):
        for name, content, expected in CORPUS:
            with self.subTest(name):
                path = self.write(content)
                self.assert_rejected(["compare", path, self.good], path, "results", expected)

    def test_run_checks_baselines_before_running_and_never_touches_them(self):
        for name, content, expected in CORPUS[:4] + CORPUS[12:14]:
            with self.subTest(name):
                path = self.write(content)
                # A default run would take a minute: the error must come before it.
                self.assert_rejected(["run", "--baseline", path], path, "baseline", expected)
                self.assert_rejected(["run", "--save-baseline", path], path, "baseline", expected)

    def test_missing_file_and_directory(self):
        missing = os.path.join(self.dir.name, "nope.json")
        p = allocbench("compare", self.good, missing)
        self.assertEqual(p.returncode, 2)
        self.assertIn(f"baseline '{missing}': cannot open: No such file or directory", p.stderr)
        p = allocbench("compare", self.dir.name, self.good)
        self.assertEqual(p.returncode, 2)
        self.assertIn(f"results '{self.dir.name}': is a directory", p.stderr)


if __name__ == "__main__":
    unittest.main()
