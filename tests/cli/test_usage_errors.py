"""Bad flags and values: exit 2, one line on stderr naming the flag and what was expected."""
import os
import tempfile
import unittest

from harness import allocbench

CASES = [
    (["run", "--backend", "nosuch"], "--backend: unknown backend 'nosuch'; built: system"),
    (["run", "--workload", "nosuch"], "--workload: unknown workload 'nosuch'; known: small-object-churn"),
    (["run", "--param", "small-object-churn.nosuch=1"], "unknown parameter of workload 'small-object-churn'; known: ops"),
    (["run", "--param", "small-object-churn.ops=0"], "--param small-object-churn.ops: expected an integer from 1 to"),
    (["run", "--param", "small-object-churn.ops=many"], "got 'many'"),
    (["run", "--param", "ops=5"], "expected WORKLOAD.NAME=VALUE"),
    (["run", "--workload", "empty", "--param", "small-object-churn.ops=5"], "is not selected by --workload"),
    (["run", "--reps", "0"], "--reps"),
    (["run", "--reps", "-3"], "--reps"),
    (["run", "--reps", "1000000"], "--reps"),
    (["run", "--warmup", "x"], "--warmup"),
    (["run", "--threads", "0"], "--threads"),
    (["run", "--threads", "99999"], "--threads"),
    (["run", "--timeout", "0"], "--timeout"),
    (["run", "--counting", "maybe"], "--counting"),
    (["run", "--format", "xml"], "--format: unknown format 'xml'; expected one of: table, json, markdown, csv"),
    (["run", "--seed", "-1"], "--seed"),
    (["run", "--no-such-flag"], "--no-such-flag"),
    (["run", "--output", "/nonexistent-dir/r.json"], "--output '/nonexistent-dir/r.json': cannot write"),
    (["run", "--workload", "empty", "--timeline"], "--timeline: the timeline is kept in the JSON and drawn in the HTML report only"),
    (["run", "--workload", "empty", "--timeline-interval", "5"], "--timeline-interval: sets the interval of --timeline"),
    (["list", "--format", "xml"], "--format"),
    ([], "A subcommand is required"),
]


class UsageErrorTest(unittest.TestCase):
    def test_each_bad_input_exits_2_with_one_line_naming_it(self):
        for args, expected in CASES:
            with self.subTest(args=args):
                p = allocbench(*args)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertEqual(p.stdout, "")
                self.assertIn(expected, p.stderr)
                self.assertTrue(p.stderr.startswith("allocbench: error: "), p.stderr)
                self.assertEqual(p.stderr.count("\n"), 1, p.stderr)

    def test_output_that_is_a_directory(self):
        with tempfile.TemporaryDirectory() as d:
            p = allocbench("run", "--output", d)
            self.assertEqual(p.returncode, 2)
            self.assertIn(f"--output '{d}': is a directory, expected a file path", p.stderr)
            self.assertEqual(os.listdir(d), [])

    def test_help_is_not_an_error(self):
        p = allocbench("run", "--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("--param", p.stdout)
        self.assertIn("(default: 5)", p.stdout)


if __name__ == "__main__":
    unittest.main()
