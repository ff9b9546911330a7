"""allocbench record / trace-info / run --workload trace:FILE: real programs recorded with
the real recorder, replayed on every backend, and traces broken on purpose."""
import json
import os
import re
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

from harness import BACKENDS, allocbench

PROGRAM = os.environ["ALLOCBENCH_TEST_PROGRAM"]  # tests/programs/alloc_threads.cpp


def program_counts(stdout):
    """The calls alloc_threads says it made: {'malloc': N, ...}."""
    line = next(l for l in stdout.splitlines() if l.startswith("malloc "))
    words = line.split()
    return {words[i]: int(words[i + 1]) for i in range(0, len(words), 2)}


def metric(result, name):
    return result["metrics"][name]["median"]


class TraceTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="allocbench-trace-")
        self.addCleanup(shutil.rmtree, self.tmp)

    def record(self, name, *command, expect=0):
        path = os.path.join(self.tmp, name)
        p = subprocess.run([os.environ["ALLOCBENCH"], "record", "-o", path, "--", *command],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, expect, p.stderr)
        return path, p

    def info(self, path):
        p = allocbench("trace-info", path, "--format", "json")
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)

    def replay(self, path, *args):
        p = allocbench("run", "--workload", f"trace:{path}", "--backend", "all", "--reps", "1", "--warmup", "0",
                       "--format", "json", *args)
        self.assertEqual(p.returncode, 0, p.stderr)
        results = json.loads(p.stdout)["results"]
        self.assertEqual(sorted(r["backend"] for r in results), BACKENDS)
        return results

    def assert_replays_the_trace(self, path, exact_peak):
        """Every backend replays the recorded counts, with one checksum; the peak too when exact."""
        trace = self.info(path)
        results = self.replay(path)
        self.assertEqual(len({r["checksum"] for r in results}), 1, "the checksum differs between backends")
        for r in results:
            with self.subTest(backend=r["backend"]):
                self.assertEqual(r["threads"], trace["threads"])
                self.assertEqual(metric(r, "allocs"), trace["allocations"])
                self.assertEqual(metric(r, "frees"), trace["frees"])
                self.assertEqual(metric(r, "bytes_allocated"), trace["bytes_allocated"])
                self.assertEqual(metric(r, "live_bytes_at_end"), 0)  # what the program kept is freed after
                self.assertEqual(r["stats"]["skipped_frees"], trace["unknown_frees"] + trace["double_frees"])
                if exact_peak:
                    self.assertEqual(metric(r, "peak_live_bytes"), trace["peak_live_bytes"])
                else:
                    # With threads the peak depends on how they interleave, in the program and in
                    # the replay (0.49x seen on a loaded machine): only a sanity range holds.
                    self.assertGreater(metric(r, "peak_live_bytes"), trace["peak_live_bytes"] * 0.25)
                    self.assertLess(metric(r, "peak_live_bytes"), trace["peak_live_bytes"] * 4)
        return trace, results

    # ── Recording ────────────────────────────────────────────────────────────
    def test_every_call_of_a_single_threaded_program_is_recorded_and_replayed_exactly(self):
        path, p = self.record("one.trace", PROGRAM, "0", "20000")
        made = program_counts(p.stdout)
        trace = self.info(path)
        ops = trace["per_operation"]
        self.assertTrue(trace["complete"])
        self.assertEqual(trace["threads"], 1)
        self.assertEqual(ops["calloc"], made["calloc"])
        self.assertEqual(ops["posix_memalign"], made["posix_memalign"])
        self.assertEqual(ops["new(align)"] + ops["new[]"], made["new"])
        self.assertEqual(ops["delete[]"], ops["new[]"])
        # realloc(NULL, n) is a malloc: the first realloc of the program.
        self.assertEqual(ops["realloc"], made["realloc"] - 1)
        self.assertGreaterEqual(ops["malloc"], made["malloc"] + 1)
        self.assertLess(ops["malloc"], made["malloc"] + 20)  # the C++ runtime's own, at most a few
        self.assertEqual(trace["unknown_frees"] + trace["double_frees"] + trace["reused_addresses"], 0)
        self.assertRegex(p.stderr, r"recorded [\d,]+ operations on 1 thread")
        self.assert_replays_the_trace(path, exact_peak=True)

    def test_a_multi_threaded_program_replays_on_its_own_threads_with_its_cross_thread_frees(self):
        path, p = self.record("threads.trace", PROGRAM, "3", "20000")
        made = program_counts(p.stdout)
        self.assertGreater(made["handed_over"], 0)
        trace, _ = self.assert_replays_the_trace(path, exact_peak=False)
        self.assertEqual(trace["threads"], 4)  # main and three workers
        self.assertTrue(all(n > 20000 for n in trace["operations_per_thread"][1:]))

    def test_exit_from_another_thread_flushes_every_thread(self):
        # Other threads allocate while the trace closes: repeated, as that race is timing-dependent.
        for attempt in range(5):
            path, p = self.record(f"exit{attempt}.trace", PROGRAM, "3", "20000", "exit-from-thread")
            self.assertIn("exiting from a worker thread", p.stdout)
            trace = self.info(path)
            self.assertTrue(trace["complete"])
            self.assertEqual(trace["threads"], 4)
            self.assertTrue(all(n > 200 for n in trace["operations_per_thread"][1:]))  # past 100 iterations
            self.assertGreater(trace["per_operation"]["malloc"], 10000)  # the exiting thread's alone

    def test_a_fatal_signal_flushes_the_trace_and_the_failure_is_reported(self):
        path, p = self.record("abort.trace", PROGRAM, "0", "5000", "abort", expect=3)
        self.assertRegex(p.stderr, r"signal 6 .*its trace is kept")
        made = program_counts(p.stdout)
        trace = self.info(path)
        self.assertFalse(trace["complete"])
        self.assertGreaterEqual(trace["per_operation"]["malloc"], made["malloc"])
        text = allocbench("trace-info", path).stdout
        self.assertIn("did not exit normally", text)
        self.assert_replays_the_trace(path, exact_peak=True)

    def test_child_processes_are_recorded_to_files_of_their_own(self):
        # -o given as an absolute path, relative to the working directory, and through ../
        subdir = os.path.join(self.tmp, "sub")
        os.mkdir(subdir)
        for given, cwd in ((os.path.join(self.tmp, "fork.trace"), None), ("fork.trace", self.tmp),
                           ("../fork.trace", subdir)):
            with self.subTest(output=given):
                for f in os.listdir(self.tmp):
                    if f.startswith("fork.trace"):
                        os.remove(os.path.join(self.tmp, f))
                p = subprocess.run([os.environ["ALLOCBENCH"], "record", "-o", given, "--", PROGRAM, "0", "1000", "fork"],
                                   capture_output=True, text=True, timeout=300, cwd=cwd)
                self.assertEqual(p.returncode, 0, p.stderr)
                names = sorted(f for f in os.listdir(self.tmp) if f.startswith("fork.trace"))
                self.assertEqual(len(names), 2, names)
                self.assertEqual(names[0], "fork.trace")
                self.assertRegex(names[1], r"^fork\.trace\.\d+$")
                self.assertIn(f"1 child process was recorded to {given}.<pid>", p.stderr)
                self.assertTrue(self.info(os.path.join(self.tmp, names[1]))["complete"])
                self.assertTrue(self.info(os.path.join(self.tmp, "fork.trace"))["complete"])
                self.assertEqual(os.listdir(subdir), [])

    def test_system_programs_are_recorded_and_replayed(self):
        data = os.path.join(self.tmp, "lines.txt")
        with open(data, "w") as f:
            f.writelines(f"{(i * 7919) % 10007} line {i}\n" for i in range(20000))
        programs = {"sort": [shutil.which("sort"), "--parallel=1", "-o", os.path.join(self.tmp, "sorted"), data],
                    "python3": [sys.executable, "-c", "import json; json.dumps([str(i) for i in range(50000)])"]}
        for name, command in programs.items():
            if not command[0]:
                continue
            with self.subTest(program=name):
                path, _ = self.record(f"{name}.trace", *command)
                trace, _ = self.assert_replays_the_trace(path, exact_peak=self.info(path)["threads"] == 1)
                self.assertGreater(trace["allocations"], 100)

    def test_a_program_that_ignores_ld_preload_is_not_recorded(self):
        ldconfig = shutil.which("ldconfig") or "/sbin/ldconfig"
        ldd = subprocess.run(["ldd", ldconfig], capture_output=True, text=True) if os.path.exists(ldconfig) else None
        if not ldd or "statically linked" not in ldd.stdout + ldd.stderr:
            self.skipTest("no statically linked program here")
        _, p = self.record("static.trace", ldconfig, "-p", expect=3)
        self.assertIn("was not recorded", p.stderr)

    def test_the_allocate_parameter_replays_without_the_allocator_and_rss_leaves_the_trace_out(self):
        # A long trace and a short one, replayed without the allocator: the same RSS, as the
        # replay reads its records through a window and leaves the window out.
        peak = {}
        for name, iterations in (("short", 2000), ("long", 200000)):
            path, _ = self.record(f"{name}.trace", PROGRAM, "0", str(iterations))
            results = self.replay(path, "--param", f"trace:{path}.allocate=0")
            for r in results:
                self.assertEqual(metric(r, "allocs"), 0)
                self.assertEqual(metric(r, "peak_live_bytes"), 0)
                peak[name, r["backend"]] = (metric(r, "peak_rss_bytes"), r["peak_rss_reset"])
            if name == "long":
                prepared_bytes = self.info(path)["operations"] * 16  # 16 bytes per operation, at least
        # Without a reset, peak RSS counts from the start, setup included; a sanitizer owns
        # malloc and adds its own memory.
        if os.environ.get("ALLOCBENCH_TEST_SANITIZER"):
            return
        for backend in BACKENDS:
            (short, reset_short), (long, reset_long) = peak["short", backend], peak["long", backend]
            if reset_short and reset_long:
                self.assertLess(long - short, prepared_bytes / 8, backend)


MAKE_TRACE = os.path.join(os.environ["ALLOCBENCH_BUILD_DIR"], "tests", "make_trace")


class ReplayCacheTest(unittest.TestCase):
    """Prepared replays: made once per trace content, checked before use, rebuilt when broken."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="allocbench-cache-")
        self.addCleanup(shutil.rmtree, self.tmp)
        self.cache = os.path.join(self.tmp, "cache")
        self.env = {"ALLOCBENCH_CACHE_DIR": self.cache}

    def make_trace(self, name, operations, threads, seed=1):
        path = os.path.join(self.tmp, name)
        subprocess.run([MAKE_TRACE, path, str(operations), str(threads), "2000", str(seed)], check=True)
        return path

    def run_trace(self, path, *args, backends="system"):
        p = allocbench("run", "--workload", f"trace:{path}", "--backend", backends, "--reps", "1", "--warmup", "0",
                       "--format", "json", *args, env=self.env)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)["results"], p.stderr

    def cached(self):
        return sorted(os.listdir(self.cache)) if os.path.isdir(self.cache) else []

    def test_a_large_multi_threaded_trace_replays_exactly_on_every_backend(self):
        # Cross-thread frees in every interleaving: shared slots are reused many times over.
        path = self.make_trace("big.trace", 400000, 4)
        info = json.loads(allocbench("trace-info", path, "--format", "json").stdout)
        self.assertEqual(info["threads"], 4)
        results, _ = self.run_trace(path, backends="all")
        self.assertEqual(len({r["checksum"] for r in results}), 1, "the checksum differs between backends")
        for r in results:
            with self.subTest(backend=r["backend"]):
                self.assertEqual(metric(r, "allocs"), info["allocations"])
                self.assertEqual(metric(r, "frees"), info["frees"])
                self.assertEqual(metric(r, "bytes_allocated"), info["bytes_allocated"])
                self.assertEqual(metric(r, "live_bytes_at_end"), 0)
                self.assertEqual(r["stats"]["skipped_frees"], 0)

    def test_memory_grows_with_the_live_objects_not_with_the_operations(self):
        if os.environ.get("ALLOCBENCH_TEST_SANITIZER"):
            self.skipTest("a sanitizer's own memory is not the replay's")
        operations = 2000000
        path = self.make_trace("long.trace", operations, 4)

        def peak_rss(*args):
            """The largest resident set of allocbench and its workers, in bytes."""
            probe = ("import resource, subprocess, sys\n"
                     "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
                     "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)")
            out = subprocess.run([sys.executable, "-c", probe, os.environ["ALLOCBENCH"], *args], capture_output=True,
                                 text=True, env=dict(os.environ, **self.env)).stdout.split()
            self.assertEqual(out[0], "0", args)
            return int(out[1])

        # The whole trace held at once took over 100 bytes per operation; 40 is the goal.
        for args in (["trace-info", path],
                     ["run", "--workload", f"trace:{path}", "--backend", "system", "--reps", "1", "--warmup", "0",
                      "--param", f"trace:{path}.allocate=0"]):
            with self.subTest(command=args[0]):
                self.assertLess(peak_rss(*args), 20 * operations)

    def test_the_prepared_replay_is_reused_checked_and_rebuilt_when_corrupt(self):
        path = self.make_trace("app.trace", 50000, 2)
        first, stderr = self.run_trace(path)
        self.assertRegex(stderr, rf"prepared {re.escape(path)} for replay in [\d.]+ s")
        [name] = self.cached()
        self.assertRegex(name, r"^[0-9a-f]{16}-\d+\.v\d+\.replay$")
        again, stderr = self.run_trace(path)
        self.assertNotIn("prepared", stderr)
        self.assertEqual(again[0]["checksum"], first[0]["checksum"])

        cached = os.path.join(self.cache, name)
        size = os.path.getsize(cached)
        for what, damage in (("a flipped byte", "flip"), ("a cut", "cut"), ("garbage", "garbage")):
            with self.subTest(damage=what):
                if damage == "flip":
                    with open(cached, "r+b") as f:
                        f.seek(size // 2)
                        b = f.read(1)
                        f.seek(size // 2)
                        f.write(bytes([b[0] ^ 0x40]))
                elif damage == "cut":
                    os.truncate(cached, size - 24)
                else:
                    with open(cached, "wb") as f:
                        f.write(b"not a replay at all")
                results, stderr = self.run_trace(path)
                self.assertRegex(stderr, rf"prepared replay {re.escape(cached)}: .*: preparing it again")
                self.assertEqual(results[0]["checksum"], first[0]["checksum"])
                self.assertEqual(os.path.getsize(cached), size)
                self.assertEqual(self.cached(), [name])

        # Another content is another file; clear-cache removes them all, and temporary leftovers.
        other = self.make_trace("app.trace", 50000, 2, seed=2)
        results, stderr = self.run_trace(other)
        self.assertIn("prepared", stderr)
        self.assertNotEqual(results[0]["checksum"], first[0]["checksum"])
        self.assertEqual(len(self.cached()), 2)
        open(os.path.join(self.cache, name + ".tmp.123"), "w").close()
        p = allocbench("clear-cache", env=self.env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, rf"removed 3 prepared replays \(.*\) from {re.escape(self.cache)}")
        self.assertEqual(self.cached(), [])

    def test_no_cache_prepares_in_a_temporary_directory_it_removes(self):
        path = self.make_trace("app.trace", 20000, 2)
        before = set(os.listdir(tempfile.gettempdir()))
        results, stderr = self.run_trace(path, "--no-cache")
        self.assertIn("prepared", stderr)
        self.assertEqual(self.cached(), [])
        left = {n for n in set(os.listdir(tempfile.gettempdir())) - before if n.startswith("allocbench-replay-")}
        self.assertEqual(left, set())
        self.assertEqual(metric(results[0], "allocs"), json.loads(
            allocbench("trace-info", path, "--format", "json").stdout)["allocations"])

    def test_a_trace_too_large_for_memory_or_disk_is_a_clear_error_and_leaves_nothing(self):
        if os.environ.get("ALLOCBENCH_TEST_SANITIZER"):
            self.skipTest("a sanitizer reserves more address space than the limit allows")
        path = os.path.join(self.tmp, "live.trace")  # two million objects, none freed
        subprocess.run([MAKE_TRACE, path, "2000000", "1", "100000000", "1", "0"], check=True)
        run = [os.environ["ALLOCBENCH"], "run", "--workload", f"trace:{path}", "--backend", "system", "--reps", "1"]

        def limited(command, limit, size):
            return subprocess.run(command, capture_output=True, text=True, timeout=300,
                                  preexec_fn=lambda: resource.setrlimit(limit, (size, size)),
                                  env=dict(os.environ, **self.env))

        for command in ([os.environ["ALLOCBENCH"], "trace-info", path], run):
            with self.subTest(memory=command[1]):
                p = limited(command, resource.RLIMIT_AS, 150 << 20)
                self.assertEqual(p.returncode, 3, p.stderr)
                self.assertRegex(p.stderr, rf"trace {re.escape(path)}: its \d+ live objects need more memory than "
                                           r"is available .*: \d+ MiB, \d+ MiB available")
        p = limited(run, resource.RLIMIT_FSIZE, 1 << 20)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertRegex(p.stderr, rf"cannot write the prepared replay {re.escape(self.cache)}/\S+ \(\d+ MiB\): "
                                   r"File too large; .*ALLOCBENCH_CACHE_DIR")
        self.assertEqual(self.cached(), [])  # nothing half-written

    def test_a_cache_directory_that_cannot_be_made_is_a_clear_error(self):
        path = self.make_trace("app.trace", 1000, 1)
        blocker = os.path.join(self.tmp, "file")
        open(blocker, "w").close()
        p = allocbench("run", "--workload", f"trace:{path}", "--backend", "system", "--reps", "1",
                       env={"ALLOCBENCH_CACHE_DIR": os.path.join(blocker, "cache")})
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn(f"the replay cache {blocker}/cache: cannot create it", p.stderr)
        self.assertIn("ALLOCBENCH_CACHE_DIR", p.stderr)


# ── Traces written by hand: the format of src/trace/format.hpp ───────────────
def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def zigzag(v):
    return (v << 1) ^ (v >> 63) if v >= 0 else ((-v) << 1) - 1


OPS = {"malloc": 0, "realloc": 2, "free": 3}


def chunk(events, thread=0, first_seq=0, seq_step=1, seqs=None):
    """One thread's chunk. events: (op, address, size) or ('realloc', old, new, size), numbered
    first_seq, first_seq + seq_step, ... or by the given sequence numbers."""
    seqs = seqs or [first_seq + k * seq_step for k in range(len(events))]
    payload = bytearray()
    previous = 0
    for k, e in enumerate(events):
        payload += bytes([OPS[e[0]]]) + varint(seqs[k] - seqs[k - 1] if k else 0) + varint(0)
        payload += varint(zigzag(e[1] - previous))
        previous = e[1]
        if e[0] == "realloc":
            payload += varint(zigzag(e[2] - e[1])) + varint(e[3])
            previous = e[2]
        elif e[0] != "free":
            payload += varint(e[2])
    return struct.pack("<IIIIQQ", 0x4B4E4843, thread, len(events), len(payload), seqs[0] if seqs else first_seq,
                       0) + payload


def trace_bytes(events, version=1, end=True, chunks=None):
    """A trace of `events` on thread 0, or of the given chunks."""
    chunks = chunks if chunks is not None else [(chunk(events), len(events))]
    out = b"ALLOCTRC" + struct.pack("<II", version, 0) + b"".join(c for c, _ in chunks)
    if end:
        total = sum(n for _, n in chunks)
        out += struct.pack("<IIQQQ", 0x21444E45, len(chunks), total, 0, 0)
    return out


class BrokenTraceTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="allocbench-trace-")
        self.addCleanup(shutil.rmtree, self.tmp)

    def write(self, name, content):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(content)
        return path

    def test_frees_of_unknown_objects_and_double_frees_are_skipped_and_counted(self):
        path = self.write("anomalies.trace", trace_bytes([
            ("malloc", 0x1000, 100), ("free", 0x1000), ("free", 0x1000),  # a double free
            ("free", 0x9000),                                           # never allocated
            ("malloc", 0x2000, 50), ("realloc", 0x7000, 0x3000, 70),    # realloc of an unknown object
        ]))
        info = json.loads(allocbench("trace-info", path, "--format", "json").stdout)
        self.assertEqual((info["double_frees"], info["unknown_frees"]), (1, 2))
        p = allocbench("run", "--workload", f"trace:{path}", "--backend", "all", "--reps", "1", "--warmup", "0",
                       "--format", "json")
        self.assertEqual(p.returncode, 0, p.stderr)
        results = json.loads(p.stdout)["results"]
        self.assertEqual(len(results), len(BACKENDS))
        for r in results:
            self.assertEqual(r["stats"]["skipped_frees"], 2)
            self.assertEqual(metric(r, "allocs"), 3)  # malloc, malloc, realloc(NULL, 70)
            self.assertEqual(metric(r, "peak_live_bytes"), info["peak_live_bytes"])

    def test_trace_info_draws_the_live_bytes_over_the_run(self):
        # 100 mallocs of 10 bytes, then their frees: the curve (the most live in each hundredth
        # of the run) rises to the peak halfway and falls back.
        path = self.write("hill.trace", trace_bytes([("malloc", 0x1000 + 16 * i, 10) for i in range(100)] +
                                                    [("free", 0x1000 + 16 * i) for i in range(100)]))
        info = json.loads(allocbench("trace-info", path, "--format", "json").stdout)
        curve = info["live_curve"]
        self.assertEqual(len(curve), 100)
        self.assertEqual(curve, [20 * (p + 1) for p in range(50)] + [1990 - 20 * p for p in range(50, 100)])
        self.assertEqual(max(curve), info["peak_live_bytes"])
        table = allocbench("trace-info", path).stdout
        line = next(l for l in table.splitlines() if "live over the run" in l)
        self.assertIn("▁" * 3 + "▂", line)  # 50 characters, each the most of two points, scaled to the peak
        self.assertIn("█", line)
        self.assertTrue(line.endswith("(0 to 1000 B)"), line)

    def test_threads_are_put_in_recorded_order_by_sequence_number_dense_or_not(self):
        main = [("malloc", 0x1000, 100), ("malloc", 0x2000, 200)]
        other = [("free", 0x1000), ("free", 0x2000)]  # freed on another thread, after
        for step in (2, 1000):  # dense numbers are placed, far-apart ones sorted
            path = self.write(f"order{step}.trace", trace_bytes(None, chunks=[
                (chunk(other, thread=1, first_seq=2 * step, seq_step=step), 2),
                (chunk(main, thread=0, first_seq=0, seq_step=step), 2)]))
            info = json.loads(allocbench("trace-info", path, "--format", "json").stdout)
            self.assertEqual((info["threads"], info["frees"], info["unknown_frees"]), (2, 2, 0), step)
            self.assertEqual(info["peak_live_bytes"], 300)

    def test_two_operations_with_one_sequence_number_are_refused(self):
        path = self.write("duplicate.trace", trace_bytes(None, chunks=[
            (chunk([("malloc", 0x1000, 8)], thread=0, first_seq=5), 1),
            (chunk([("malloc", 0x2000, 8)], thread=1, first_seq=5), 1)]))
        for command in (["trace-info", path], ["run", "--workload", f"trace:{path}", "--backend", "system"]):
            p = allocbench(*command)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn(f"trace {path}: two operations share the sequence number 5", p.stderr)

    def test_a_realloc_that_frees_and_makes_objects_of_other_threads_replays_exactly(self):
        # Thread 0 allocates, thread 1 reallocs (a wait), thread 0 frees the result (a notify):
        # one record does both, and enough rounds reuse the shared slots, generation after generation.
        rounds = 40000
        main, other = [], []
        for i in range(rounds):
            a, b = 0x100000 + 64 * (i % 1000), 0x900000 + 64 * (i % 1000)
            main += [("malloc", a, 24), ("free", b)]
            other += [("realloc", a, b, 40 + i % 7)]
        path = self.write("handover.trace", trace_bytes(None, chunks=[
            (chunk(main, thread=0, seqs=[3 * (k // 2) + 2 * (k % 2) for k in range(2 * rounds)]), 2 * rounds),
            (chunk(other, thread=1, seqs=[3 * k + 1 for k in range(rounds)]), rounds)]))
        info = json.loads(allocbench("trace-info", path, "--format", "json").stdout)
        self.assertEqual((info["threads"], info["allocations"], info["frees"], info["unknown_frees"]),
                         (2, 2 * rounds, 2 * rounds, 0))
        p = allocbench("run", "--workload", f"trace:{path}", "--backend", "all", "--reps", "1", "--warmup", "0",
                       "--format", "json")
        self.assertEqual(p.returncode, 0, p.stderr)
        results = json.loads(p.stdout)["results"]
        self.assertEqual(len({r["checksum"] for r in results}), 1)
        for r in results:
            self.assertEqual((metric(r, "allocs"), metric(r, "frees")), (2 * rounds, 2 * rounds), r["backend"])
            self.assertEqual((metric(r, "live_bytes_at_end"), r["stats"]["skipped_frees"]), (0, 0), r["backend"])

    def test_the_checksum_follows_every_size_and_the_order(self):
        traces = {
            "base": [("malloc", 0x1000, 100), ("malloc", 0x2000, 200), ("free", 0x1000), ("free", 0x2000)],
            "frees_swapped": [("malloc", 0x1000, 100), ("malloc", 0x2000, 200), ("free", 0x2000), ("free", 0x1000)],
            "one_size_other": [("malloc", 0x1000, 100), ("malloc", 0x2000, 201), ("free", 0x1000), ("free", 0x2000)],
        }
        paths = {name: self.write(name + ".trace", trace_bytes(events)) for name, events in traces.items()}
        paths["base_again"] = self.write("base_again.trace", trace_bytes(traces["base"]))
        p = allocbench("run", "--workload", ",".join(f"trace:{p}" for p in paths.values()), "--backend", "system",
                       "--reps", "1", "--warmup", "0", "--format", "json")
        self.assertEqual(p.returncode, 0, p.stderr)
        checksum = {r["workload"]: r["checksum"] for r in json.loads(p.stdout)["results"]}
        by_name = {name: checksum[f"trace:{path}"] for name, path in paths.items()}
        self.assertEqual(by_name["base"], by_name["base_again"])
        self.assertEqual(len({by_name["base"], by_name["frees_swapped"], by_name["one_size_other"]}), 3, by_name)

    def test_a_trace_of_no_operations_replays_nothing(self):
        path = self.write("empty.trace", trace_bytes([]))
        p = allocbench("run", "--workload", f"trace:{path}", "--backend", "all", "--reps", "1", "--warmup", "0",
                       "--format", "json")
        self.assertEqual(p.returncode, 0, p.stderr)
        results = json.loads(p.stdout)["results"]
        self.assertEqual(len(results), len(BACKENDS))
        for r in results:
            self.assertEqual((metric(r, "allocs"), r["threads"]), (0, 1))

    def test_broken_traces_are_refused_with_the_file_and_the_offset(self):
        good = trace_bytes([("malloc", 0x1000, 100), ("free", 0x1000)])
        bad_op = bytearray(good)
        bad_op[48] = 0xEE  # the first event's operation code
        overclaimed = bytearray(good)
        overclaimed[24:28] = struct.pack("<I", 0xFFFFFFFF)  # the chunk's event count: nothing may be sized by it
        cases = {
            "truncated": (good[:-40], r"offset \d+: .*truncated"),
            "bad-op": (bytes(bad_op), r"offset 48: unknown operation code 238"),
            "overclaimed": (bytes(overclaimed), r"offset 16: a chunk claims 4294967295 events in \d+ bytes"),
            "not-a-trace": (b"#!/bin/sh\necho this is not a trace\n", r"offset 0: not an allocbench trace"),
            "version": (trace_bytes([], version=9), r"offset 8: trace format version 9"),
            "empty": (b"", r"offset 0: the file header is cut short"),
            "bad-tag": (good + b"JUNKJUNK", rf"offset {len(good)}: "),
        }
        for name, (content, message) in cases.items():
            path = self.write(name + ".trace", content)
            for command in (["trace-info", path], ["run", "--workload", f"trace:{path}", "--backend", "system"]):
                with self.subTest(case=name, command=command[0]):
                    p = allocbench(*command)
                    self.assertEqual(p.returncode, 2, p.stderr)
                    self.assertIn(path, p.stderr)
                    self.assertRegex(p.stderr, message)
        missing = os.path.join(self.tmp, "missing.trace")
        p = allocbench("trace-info", missing)
        self.assertEqual(p.returncode, 2)
        self.assertIn(f"{missing}: cannot open", p.stderr)


if __name__ == "__main__":
    unittest.main()
