"""run --workload 'cmd:PROGRAM ARGS': real programs run on every backend through
LD_PRELOAD, proven inside the program, counted by the counting library, and refused
when no preloaded allocator can serve them."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from harness import BACKENDS, BUILD_DIR, PROVIDERS, allocbench, library_path

PROGRAM = os.environ["ALLOCBENCH_TEST_PROGRAM"]  # tests/programs/alloc_threads.cpp: 4 threads, cross-thread frees
OWN_MALLOC = os.path.join(BUILD_DIR, "tests", "own_malloc")
NON_PIE_MALLOC = os.path.join(BUILD_DIR, "tests", "non_pie_malloc")
JEMALLOC_LINKED = os.path.join(BUILD_DIR, "tests", "jemalloc_linked")
COUNTS = ("allocs", "frees", "bytes_allocated", "live_bytes_at_end")

# A deterministic Python program: JSON dump, parse and sort (the example).
PYTHON_WORK = """
import json, random, sys
random.seed(7)
rows = [{"id": i, "name": f"user{i}", "tags": [random.random() for _ in range(8)]} for i in range(5000)]
back = json.loads(json.dumps(rows))
back.sort(key=lambda r: r["tags"][0])
print("PROGRAM-OUTPUT-MARKER", len(back))
print("PROGRAM-ERROR-MARKER", file=sys.stderr)
"""


def metric(result, name):
    return result["metrics"][name]["median"]


class CommandTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="allocbench-cmd-")
        self.addCleanup(shutil.rmtree, self.tmp)
        self.script = os.path.join(self.tmp, "work.py")
        with open(self.script, "w") as f:
            f.write(PYTHON_WORK)

    def run_cmd(self, command, *args, expect=0, cwd=None, env=None, reps=2, fmt="json"):
        full_env = dict(os.environ, **(env or {}))
        p = subprocess.run([os.environ["ALLOCBENCH"], "run", "--workload", f"cmd:{command}", "--reps", str(reps),
                            "--format", fmt, *args], capture_output=True, text=True, env=full_env,
                           cwd=cwd or self.tmp, timeout=300)
        self.assertEqual(p.returncode, expect, p.stderr)
        return p

    def results(self, p):
        return {r["backend"]: r for r in json.loads(p.stdout)["results"]}

    def assert_proven_and_counted_alike(self, results, exact_bytes):
        self.assertEqual(sorted(results), BACKENDS)
        for backend, r in results.items():
            # The object that served malloc inside the program, as its probe reported it.
            self.assertTrue(r["malloc_provider"].startswith(PROVIDERS[backend][0]), (backend, r["malloc_provider"]))
            self.assertEqual(r["directory"], self.tmp)
            for name in ("wall_ns", "cpu_user_ns", "peak_rss_bytes", "minor_faults"):
                self.assertGreater(metric(r, name), 0, (backend, name))
            self.assertEqual(len(r["metrics"]["wall_ns"]["samples"]), 2)
        first = results[BACKENDS[0]]
        self.assertGreater(metric(first, "allocs"), 1000)
        for backend, r in results.items():
            for name in ("allocs", "frees"):
                self.assertEqual(metric(r, name), metric(first, name), (backend, name))
            for name in ("bytes_allocated", "live_bytes_at_end"):
                # Python copies its environment, where LD_PRELOAD names each backend's library.
                self.assertAlmostEqual(metric(r, name), metric(first, name), delta=0 if exact_bytes else 512,
                                       msg=(backend, name))

    def test_a_multithreaded_program_runs_on_every_backend_with_equal_counts(self):
        p = self.run_cmd(f"{PROGRAM} 4 20000", "--backend", "all")
        self.assert_proven_and_counted_alike(self.results(p), exact_bytes=True)
        for r in self.results(p).values():
            self.assertEqual(r["threads"], 0)  # the program's own: not set by allocbench

    def test_python_runs_on_every_backend_its_output_kept_out_of_the_report(self):
        p = self.run_cmd(f"{sys.executable} {self.script}", "--backend", "all",
                         env={"PYTHONMALLOC": "malloc", "PYTHONHASHSEED": "0"})
        self.assert_proven_and_counted_alike(self.results(p), exact_bytes=False)
        self.assertNotIn("PROGRAM-OUTPUT-MARKER", p.stdout + p.stderr)
        self.assertNotIn("PROGRAM-ERROR-MARKER", p.stdout + p.stderr)
        table = self.run_cmd(f"{sys.executable} {self.script}", "--backend", "system", fmt="table")
        self.assertIn("run in " + self.tmp, table.stdout)

    def test_a_statically_linked_program_is_refused_with_its_reason(self):
        ldconfig = shutil.which("ldconfig") or "/sbin/ldconfig"
        ldd = subprocess.run(["ldd", ldconfig], capture_output=True, text=True)
        if "statically linked" not in ldd.stdout + ldd.stderr:
            self.skipTest("no statically linked program here")
        p = self.run_cmd(f"{ldconfig} -p", "--backend", "all", expect=3)
        self.assertIn("statically linked", p.stderr)
        self.assertEqual(json.loads(p.stdout)["results"], [])  # nothing is reported for it

    def test_an_exec_into_a_program_the_probe_never_entered_is_refused(self):
        ldconfig = shutil.which("ldconfig") or "/sbin/ldconfig"
        ldd = subprocess.run(["ldd", ldconfig], capture_output=True, text=True)
        if "statically linked" not in ldd.stdout + ldd.stderr:
            self.skipTest("no statically linked program here")
        # env itself runs on the backend and says so; the image that exits is ldconfig.
        # Timed repetitions alone, which no missing count of the counted one would catch.
        p = self.run_cmd(f"env {ldconfig} -p", "--backend", BACKENDS[-1], "--counting", "off", expect=3)
        self.assertIn("replaced itself (exec) with 'ldconfig'", p.stderr)
        self.assertEqual(json.loads(p.stdout)["results"], [])

    def test_a_program_that_renames_itself_and_ends_in_exit_is_no_exec(self):
        rename = ("import ctypes, os; ctypes.CDLL(None).prctl(15, b'renamed', 0, 0, 0); "  # PR_SET_NAME
                  "os._exit(0)")
        p = self.run_cmd(f"{sys.executable} -c \"{rename}\"", "--backend", BACKENDS[-1], "--counting", "off")
        self.assertEqual(len(self.results(p)), 1)

    def test_a_failed_realloc_leaves_its_block_counted(self):
        def counts(failing_realloc):
            code = ("import ctypes; c = ctypes.CDLL(None); c.malloc.restype = c.realloc.restype = ctypes.c_void_p; "
                    "c.realloc.argtypes = [ctypes.c_void_p, ctypes.c_size_t]; c.free.argtypes = [ctypes.c_void_p]; "
                    "p = c.malloc(100); "
                    + ("assert c.realloc(p, 1 << 62) is None; " if failing_realloc else "")
                    + "c.free(p)")
            r = self.results(self.run_cmd(f"{sys.executable} -c \"{code}\"", "--backend", "system", reps=1,
                                          env={"PYTHONMALLOC": "malloc", "PYTHONHASHSEED": "0"}))["system"]
            return metric(r, "allocs") - metric(r, "frees"), metric(r, "live_bytes_at_end")
        # The block realloc could not grow is still live until free, which counts it.
        self.assertEqual(counts(True), counts(False))

    def test_the_preloaded_libraries_bring_no_cxx_runtime(self):
        # libstdc++ allocates as it loads: in a C program, that would be counted as the program's.
        for name in ("liballocbench-probe.so", "liballocbench-counter.so", "liballocbench-recorder.so"):
            needed = subprocess.run(["readelf", "-d", os.path.join(BUILD_DIR, name)], capture_output=True,
                                    text=True, check=True).stdout
            self.assertIn("libc.so", needed, name)
            self.assertNotIn("libstdc++", needed, name)

    def test_an_exec_chain_is_measured_in_its_last_image(self):
        p = self.run_cmd(f"env {PROGRAM} 2 5000", "--backend", BACKENDS[-1])
        r = self.results(p)[BACKENDS[-1]]
        self.assertTrue(r["malloc_provider"].startswith(PROVIDERS[BACKENDS[-1]][0]))
        direct = self.results(self.run_cmd(f"{PROGRAM} 2 5000", "--backend", BACKENDS[-1]))[BACKENDS[-1]]
        for name in COUNTS:  # env's own allocations end with its image
            self.assertEqual(metric(r, name), metric(direct, name), name)

    def test_a_program_that_allocates_nothing_counts_nothing(self):
        # Neither the loader's allocations, nor an allocator's own, nor a C++ runtime
        # the counting library brought in: `true` makes no call to malloc.
        p = self.run_cmd("true", "--backend", "all")
        results = self.results(p)
        self.assertEqual(sorted(results), BACKENDS)
        for backend, r in results.items():
            for name in COUNTS + ("peak_live_bytes",):
                self.assertEqual(metric(r, name), 0, (backend, name))

    def test_a_program_with_its_own_malloc_is_refused(self):
        p = self.run_cmd(OWN_MALLOC, "--backend", BACKENDS[-1], expect=3)
        self.assertIn("links its own allocator", p.stderr)
        self.assertEqual(json.loads(p.stdout)["results"], [])

    def test_a_non_pie_program_that_takes_mallocs_address_is_measured(self):
        # Its executable holds a canonical PLT entry for malloc, which a lookup of malloc
        # returns (as in Debian's python3): the allocator that serves it is still found.
        p = self.run_cmd(NON_PIE_MALLOC, "--backend", "all", reps=1)
        results = self.results(p)
        self.assertEqual(sorted(results), BACKENDS)
        for backend, r in results.items():
            self.assertTrue(r["malloc_provider"].startswith(PROVIDERS[backend][0]), (backend, r["malloc_provider"]))
            self.assertEqual(metric(r, "allocs"), metric(results["system"], "allocs"), backend)
            self.assertGreaterEqual(metric(r, "bytes_allocated"), 4096, backend)  # the block, through the PLT entry

    def test_a_program_linked_with_jemalloc_is_refused_on_system_never_reported_as_glibc(self):
        # Debian's redis-server links libjemalloc2: under system, jemalloc serves its malloc.
        if not os.path.exists(JEMALLOC_LINKED):
            self.skipTest("built without jemalloc (a sanitizer build)")
        p = self.run_cmd(JEMALLOC_LINKED, "--backend", "system", expect=3)
        self.assertRegex(p.stderr, r"malloc in it is provided by \S*libjemalloc\.so\.2, not by lib(c\.so|asan|tsan)\*")
        self.assertEqual(json.loads(p.stdout)["results"], [])
        if "mimalloc" in BACKENDS:  # a preloaded allocator comes before the linked one
            r = self.results(self.run_cmd(JEMALLOC_LINKED, "--backend", "mimalloc", reps=1))["mimalloc"]
            self.assertTrue(r["malloc_provider"].startswith("libmimalloc"), r["malloc_provider"])

    def test_a_failing_program_is_a_failed_cell_with_its_stderr(self):
        p = self.run_cmd(f"{sys.executable} -c \"import sys; print('last words', file=sys.stderr); sys.exit(4)\"",
                         "--backend", "system", expect=3)
        self.assertIn("exited with code 4", p.stderr)
        self.assertIn("last words", p.stderr)

    def test_the_environment_is_the_users_without_allocator_variables_and_stdin_is_empty(self):
        out = os.path.join(self.tmp, "seen.txt")
        check = ("import os, sys; open(%r, 'w').write(repr((os.environ.get('USER_VARIABLE'), "
                 "os.environ.get('MALLOC_ARENA_MAX'), os.environ.get('MIMALLOC_VERBOSE'), sys.stdin.read())))" % out)
        self.run_cmd(f"{sys.executable} -c \"{check}\"", "--backend", BACKENDS[-1], "--counting", "off", reps=1,
                     env={"USER_VARIABLE": "kept", "MALLOC_ARENA_MAX": "1", "MIMALLOC_VERBOSE": "1"})
        with open(out) as f:
            self.assertEqual(f.read(), repr(("kept", None, None, "")))

    def test_backends_with_settings_and_preloaded_ones_run_programs(self):
        slow = os.path.join(BUILD_DIR, "tests", "libslow_malloc.so")
        tuned = "jemalloc:narenas=2" if "jemalloc" in BACKENDS else "system:arena_max=2"
        # A sanitizer's worker cannot load another malloc ahead of its runtime to identify it.
        preload = not os.environ.get("ALLOCBENCH_TEST_SANITIZER")
        p = self.run_cmd(f"{PROGRAM} 2 5000", "--backend", tuned + (f",preload:{slow}" if preload else ""))
        results = self.results(p)
        setting = "narenas" if "jemalloc" in BACKENDS else "arena_max"
        self.assertEqual(results[tuned]["settings"][setting]["requested"], "2")
        self.assertTrue(results[tuned]["malloc_provider"].startswith(PROVIDERS[tuned.split(":")[0]][0]))
        if preload:
            self.assertEqual(results[f"preload:{slow}"]["malloc_provider"], "libslow_malloc.so")
        # The setting reaches the program through the allocator's own variable.
        out = os.path.join(self.tmp, "env.txt")
        check = "import os; open(%r, 'w').write(repr(sorted(os.environ.items())))" % out
        self.run_cmd(f"{sys.executable} -c \"{check}\"", "--backend", tuned, "--counting", "off", reps=1)
        with open(out) as f:
            seen = f.read()
        self.assertIn("('MALLOC_CONF', 'narenas:2')" if "jemalloc" in BACKENDS else "glibc.malloc.arena_max=2", seen)

    def test_the_timeline_samples_the_programs_rss_from_outside(self):
        p = self.run_cmd(f"{sys.executable} {self.script}", "--backend", "system", "--timeline",
                         "--timeline-interval", "5")
        r = self.results(p)["system"]
        self.assertGreater(len(r["timeline"]["t_ms"]), 3)
        self.assertNotIn("live_bytes", r["timeline"])
        # The kernel's high-water mark (wait4) and /proc's reading are kept apart and lag a little.
        self.assertLessEqual(max(r["timeline"]["rss_bytes"]), 1.05 * r["metrics"]["peak_rss_bytes"]["max"])
        self.assertGreater(max(r["timeline"]["rss_bytes"]), 0.5 * r["metrics"]["peak_rss_bytes"]["min"])

    def test_the_baseline_key_holds_the_working_directory(self):
        baseline = os.path.join(self.tmp, "base.json")
        self.run_cmd(f"{PROGRAM} 2 5000", "--backend", "system", "--save-baseline", baseline)
        self.run_cmd(f"{PROGRAM} 2 5000", "--backend", "system", "--baseline", baseline, "--metric", "allocs,frees")
        elsewhere = os.path.join(self.tmp, "elsewhere")
        os.mkdir(elsewhere)
        p = self.run_cmd(f"{PROGRAM} 2 5000", "--backend", "system", "--baseline", baseline, expect=2, cwd=elsewhere)
        self.assertIn("working directory", p.stderr)

    def test_the_timeout_kills_the_program(self):
        p = self.run_cmd("sleep 30", "--backend", "system", "--timeout", "1", "--counting", "off", expect=3)
        self.assertIn("timed out", p.stderr)

    def test_bad_commands_are_usage_errors(self):
        for command, message in {"": "expected cmd:PROGRAM", "no-such-program-here x": "not an executable file in PATH",
                                 "echo 'open": "is not closed", f"{PROGRAM} \"a": "is not closed"}.items():
            with self.subTest(command=command):
                p = self.run_cmd(command, "--backend", "system", expect=2)
                self.assertIn(message, p.stderr)
        p = self.run_cmd("true", "--measure", "instructions", expect=2)
        self.assertIn("natively", p.stderr)

    def test_a_library_path_ld_preload_would_split_is_refused(self):
        odd = os.path.join(self.tmp, "a:b dir")
        os.mkdir(odd)
        shutil.copy(os.path.join(BUILD_DIR, "tests", "libslow_malloc.so"), odd)
        p = self.run_cmd(PROGRAM, "--backend", f"preload:{odd}/libslow_malloc.so", expect=2)
        self.assertIn("LD_PRELOAD splits its list at blanks and colons", p.stderr)

    def test_programs_run_beside_other_workloads_and_take_commas_whole(self):
        out = os.path.join(self.tmp, "commas.txt")
        p = subprocess.run([os.environ["ALLOCBENCH"], "run", "--backend", "system", "--reps", "1", "--format", "json",
                            "--param", "small-object-churn.ops=20000",
                            "--workload", f"small-object-churn,cmd:{sys.executable} -c 'open(\"{out}\", \"w\").write(\"a,b\")'",
                            "--workload", "cmd:true"], capture_output=True, text=True, cwd=self.tmp, timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(json.loads(p.stdout)["results"]), 3)
        with open(out) as f:
            self.assertEqual(f.read(), "a,b")

    def test_arguments_are_split_as_a_shell_splits_them(self):
        out = os.path.join(self.tmp, "args.txt")
        self.run_cmd(f"{sys.executable} -c 'import sys; open(sys.argv[1], \"w\").write(repr(sys.argv[2:]))' {out} "
                     "\"two words\" 'single \"quoted\"' back\\ slash \"esc\\\"aped\" $HOME",
                     "--backend", "system", "--counting", "off", reps=1)
        with open(out) as f:
            self.assertEqual(f.read(), repr(["two words", 'single "quoted"', "back slash", 'esc"aped', "$HOME"]))


if __name__ == "__main__":
    unittest.main()
