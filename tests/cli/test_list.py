import json
import re
import unittest

from harness import BACKENDS, PROVIDERS, allocbench


class ListTest(unittest.TestCase):
    def test_json_lists_every_built_backend_with_version_and_true_provider(self):
        p = allocbench("list", "--format", "json")
        self.assertEqual(p.returncode, 0, p.stderr)
        listing = json.loads(p.stdout)
        self.assertEqual(sorted(b["name"] for b in listing["backends"]), BACKENDS)
        for b in listing["backends"]:
            with self.subTest(backend=b["name"]):
                self.assertNotIn("error", b)
                self.assertRegex(b["version"], r"^\d+\.\d+")
                # The worker's malloc must come from the backend's own library.
                self.assertTrue(b["malloc_provider"].startswith(PROVIDERS[b["name"]]), b["malloc_provider"])

    def test_json_lists_workloads_with_typed_bounded_parameters(self):
        listing = json.loads(allocbench("list", "--format", "json").stdout)
        names = [w["name"] for w in listing["workloads"]]
        self.assertEqual(names, ["small-object-churn", "connection-pool", "pool-contention", "fragmentation", "empty"])
        churn = listing["workloads"][0]
        self.assertTrue(churn["in_all"])
        ops = next(p for p in churn["params"] if p["name"] == "ops")
        self.assertEqual(ops["type"], "count")
        self.assertLessEqual(ops["min"], ops["default"])
        self.assertLessEqual(ops["default"], ops["max"])
        self.assertTrue(ops["help"])
        self.assertFalse(listing["workloads"][4]["in_all"])  # empty: run only by name

    def test_table_shows_backends_and_parameters(self):
        p = allocbench("list")
        self.assertEqual(p.returncode, 0, p.stderr)
        for backend in BACKENDS:
            self.assertRegex(p.stdout, rf"(?m)^  {backend}\s+\d+\.\d+\S*\s+lib\S+")
        self.assertIn("--param WORKLOAD.NAME=VALUE", p.stdout)
        self.assertRegex(p.stdout, r"(?m)^    ops\s+count\s+default \d+")
        self.assertNotIn("test-crash", p.stdout)


if __name__ == "__main__":
    unittest.main()
