"""allocbench suite: real programs from Debian packages on every backend, summarised
relative to system's, at the smallest scale on the two programs the test set-up installs
(lua5.4 and sqlite3, install-deps.sh test)."""
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from harness import ALLOCBENCH, BACKENDS, PROVIDERS, allocbench, check_usage_errors, library_path

PROGRAMS = {"lua-tables": "/usr/bin/lua5.4", "sqlite": "/usr/bin/sqlite3"}
SMALLEST = ["--programs", ",".join(PROGRAMS), "--scale", "0.05"]


def median(values):
    values = sorted(values)
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


@unittest.skipUnless(all(os.access(p, os.X_OK) for p in PROGRAMS.values()),
                     "lua5.4 and sqlite3 are not installed (install-deps.sh test installs them)")
class SuiteTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="allocbench-suite-")
        self.addCleanup(shutil.rmtree, self.tmp)

    def suite(self, *args, expect=0):
        p = allocbench("suite", *SMALLEST, "--inputs", os.path.join(self.tmp, "inputs"), *args)
        self.assertEqual(p.returncode, expect, p.stderr)
        return p

    def test_the_summary_is_the_ratios_to_system_and_their_geometric_mean(self):
        out = os.path.join(self.tmp, "suite.json")
        self.pairs = []
        self.suite("--reps", "3", "--format", "json", "--output", out, "--replay")
        with open(out) as f:
            report = json.load(f)
        self.assertEqual(report["schema"], "allocbench-suite/1")
        self.assertRegex(report["date"], r"^\d{4}-\d\d-\d\d$")
        self.assertEqual((report["scale"], report["reps"], report["reference"]), (0.05, 3, "system"))
        results = {(r["backend"], r["workload"]): r for r in report["results"]["results"]}
        # Every backend ran every program, proven inside it, and replayed its recording.
        self.assertEqual(len(results), 2 * len(BACKENDS) * len(PROGRAMS))
        for (backend, workload), r in results.items():
            if workload.startswith("cmd:"):
                self.assertTrue(r["malloc_provider"].startswith(PROVIDERS[backend]), (backend, r["malloc_provider"]))
            self.assertEqual(r["reps"], 3)
        self.assertEqual([p["program"] for p in report["programs"]], list(PROGRAMS))
        others = [b for b in BACKENDS if b != "system"]
        logs = {b: [] for b in others}
        for program in report["programs"]:
            self.assertNotIn("skipped", program)
            self.assertTrue(program["workload"].startswith("cmd:" + PROGRAMS[program["program"]]))
            self.assertEqual(sorted(program["ratios"]), sorted(others))
            base = results[("system", program["workload"])]["metrics"]
            for backend, ratio in program["ratios"].items():
                mine = results[(backend, program["workload"])]["metrics"]
                # The ratios are of the medians that the results hold.
                self.assertAlmostEqual(ratio["time"], median(mine["wall_ns"]["samples"]) /
                                       median(base["wall_ns"]["samples"]), places=9)
                self.assertAlmostEqual(ratio["rss"], mine["peak_rss_bytes"]["median"] / base["peak_rss_bytes"]["median"],
                                       places=9)
                self.assertGreater(ratio["time_p"], 0)
                self.assertLessEqual(ratio["time_p"], 1)
                self.pairs.append((base["wall_ns"]["samples"], mine["wall_ns"]["samples"], ratio["time_p"]))
                logs[backend].append(math.log(ratio["time"]))
        for program in report["programs"]:  # the replay beside reality
            replay = program["replay"]
            self.assertEqual(replay["workload"], f"trace:{os.path.join(self.tmp, 'inputs', program['program'])}.trace")
            self.assertEqual(replay["failed"], {})
            real = {b: median(results[(b, program["workload"])]["metrics"]["wall_ns"]["samples"]) for b in BACKENDS}
            replayed = {b: median(results[(b, replay["workload"])]["metrics"]["wall_ns"]["samples"]) for b in BACKENDS}
            self.assertEqual(replay["real_order"], sorted(BACKENDS, key=lambda b: real[b]))
            self.assertEqual(replay["replay_order"], sorted(BACKENDS, key=lambda b: replayed[b]))
            if others:
                self.assertEqual(replay["agrees"], replay["real_order"] == replay["replay_order"])
            else:  # one backend: no order to agree on
                self.assertNotIn("agrees", replay)
            pairs = [(real[b] - real["system"], replayed[b] - replayed["system"]) for b in others]
            if others:
                self.assertAlmostEqual(replay["explained"], sum(r * p for r, p in pairs) / sum(r * r for r, _ in pairs),
                                       places=6)
        for backend in others:  # the geometric mean of the per-program ratios, over both programs
            mean = report["geomean"][backend]
            self.assertEqual(mean["time_programs"], 2)
            self.assertAlmostEqual(mean["time"], math.exp(sum(logs[backend]) / 2), places=9)
        # The marks' p: scipy's exact two-sided U test of the same repetitions.
        scipy = subprocess.run(["/usr/bin/python3", "-c", "import scipy"], capture_output=True)
        if scipy.returncode == 0 and self.pairs:
            expected = subprocess.run(
                ["/usr/bin/python3", "-c", "import sys, json; from scipy.stats import mannwhitneyu; "
                 "print(json.dumps([mannwhitneyu(a, b, alternative='two-sided', method='exact').pvalue "
                 "for a, b, _ in json.loads(sys.argv[1])]))", json.dumps(self.pairs)],
                capture_output=True, text=True, check=True).stdout
            for (a, b, got), want in zip(self.pairs, json.loads(expected)):
                if len(set(a + b)) == len(a + b):  # scipy's exact test assumes no ties
                    self.assertAlmostEqual(got, want, places=9, msg=(a, b))

    def test_the_table_has_a_row_per_program_and_the_geometric_means(self):
        other = next((b for b in BACKENDS if b != "system"), None)
        if other is None:
            self.skipTest("only the system backend is built")
        p = self.suite("--reps", "1", "--backend", f"system,{other}", "--replay")
        self.assertRegex(p.stdout, r"^allocbench suite · \d{4}-\d\d-\d\d · scale 0.05 · 1 reps\n")
        self.assertRegex(p.stdout, rf"\n   program\s+system time\s+system RSS\s+{other} time\s+{other} RSS\s+"
                                   r"replay ranking\s+explained\n")
        for program in PROGRAMS:
            self.assertRegex(p.stdout, rf"\n   {program}\s+[\d.]+ m?s\s+[\d.]+ MiB\s+\d\.\d\d\*{{0,2}}\s+\d\.\d\d\*{{0,2}}"
                                       r"\s+(agrees|differs)\s+-?\d+%\n")
        self.assertRegex(p.stdout, r"\n   geometric mean\s+\d\.\d\d \(2\)\s+\d\.\d\d \(2\)\n")  # no blanks after
        self.assertIn("note: --replay: each program recorded once and replayed", p.stdout)
        # The results as a baseline, read as any run's (the HTML report, compare), named
        # relatively, and merged into by the next run.
        saved = os.path.join(self.tmp, "suite-baseline.json")
        args = [ALLOCBENCH, "suite", *SMALLEST, "--inputs", os.path.join(self.tmp, "inputs"), "--reps", "1",
                "--backend", f"system,{other}", "--save-baseline", "suite-baseline.json"]
        md = subprocess.run([*args, "--format", "markdown"], cwd=self.tmp, capture_output=True, text=True, timeout=300)
        self.assertEqual(md.returncode, 0, md.stderr)
        md = md.stdout
        again = subprocess.run([*args[:2], "--programs", "lua-tables", *args[4:]], cwd=self.tmp, capture_output=True,
                               text=True, timeout=300)
        self.assertEqual(again.returncode, 0, again.stderr)
        with open(saved) as f:  # sqlite's entries kept, lua-tables' replaced
            entries = [(r["backend"], r["workload"].split()[0]) for r in json.load(f)["results"]]
        self.assertEqual(sorted(entries), sorted((b, f"cmd:{program}") for b in ("system", other)
                                                 for program in PROGRAMS.values()))
        page = os.path.join(self.tmp, "report.html")
        report = allocbench("report", saved, "--output", page)
        self.assertEqual(report.returncode, 0, report.stderr)
        with open(page) as f:
            html = f.read()
        for program in PROGRAMS.values():
            self.assertIn(f"<h2>cmd:{program} ", html)
        same = allocbench("compare", saved, saved)
        self.assertEqual(same.returncode, 0, same.stderr)
        self.assertIn(f"| program | system time | system RSS | {other} time | {other} RSS |\n|---|--:|", md)
        html = self.suite("--reps", "1", "--backend", f"system,{other}", "--format", "html", "--replay").stdout
        self.assertIn("<h1>allocbench suite</h1>", html)
        self.assertEqual(html.count("<section class=\"workload\">"), 4)  # a chart per program, and per replay
        self.assertIn("<h2>lua-tables (replayed)</h2>", html)
        self.assertIn("<th>replay ranking</th><th>explained</th>", html)
        self.assertIn("geometric mean over the programs", html)  # and the summary's

    def test_a_program_that_is_not_installed_is_skipped_with_its_package(self):
        args = [ALLOCBENCH, "suite", "--programs", "z3-sat,lua-tables", "--scale", "0.05", "--reps", "1", "--backend",
                "system", "--inputs", os.path.join(self.tmp, "inputs"), "--format", "json"]
        if os.access("/usr/bin/z3", os.X_OK):  # installed here: hidden behind /dev/null, in a mount namespace of its own
            if not (shutil.which("unshare") and subprocess.run(["unshare", "--mount", "true"]).returncode == 0):
                self.skipTest("z3 is installed and unshare --mount is refused: nothing can be skipped")
            args = ["unshare", "--mount", "sh", "-c", 'mount --bind /dev/null /usr/bin/z3 && exec "$@"', "sh", *args]
        p = subprocess.run(args, capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        programs = {program["program"]: program for program in json.loads(p.stdout)["programs"]}
        self.assertIn("install the Debian package 'z3'", programs["z3-sat"]["skipped"])
        self.assertNotIn("ratios", programs["z3-sat"])
        self.assertNotIn("skipped", programs["lua-tables"])



class SuiteFlagsTest(unittest.TestCase):
    """Checked before anything runs or installs: no program is needed."""

    def test_bad_flags_exit_2_naming_them(self):
        with tempfile.TemporaryDirectory(prefix="allocbench-suite-") as tmp:
            inputs = ["--inputs", os.path.join(tmp, "inputs")]
            blocked = os.path.join(tmp, "file")
            open(blocked, "w").close()
            others = [b for b in BACKENDS if b != "system"]
            check_usage_errors(self, ["suite"], [
                (["--programs", "nope"], "--programs: unknown program 'nope'; known: python-json, lua-tables"),
                ([*SMALLEST, *inputs, "--format", "csv"], "--format: unknown format 'csv'; known: table, markdown, html, json"),
                ([*SMALLEST, *inputs, "--scale", "0"], "--scale"),
                ([*SMALLEST, *inputs, "--reps", "0"], "--reps"),
                ([*SMALLEST, *inputs, "--backend", "system,nope"], "nope"),
                ([*SMALLEST, "--inputs", blocked], f"--inputs: cannot use the directory {blocked}"),
                ([*SMALLEST, *inputs, "--backend", others[0] if others else f"preload:{library_path('libc.so.6')}",
                  "--install"], "--reference: backend 'system' is not among those run"),
            ])


if __name__ == "__main__":
    unittest.main()
