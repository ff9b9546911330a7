"""`make bench` item 16: the cross-thread free, in pool-contention and in xmalloc-test's pattern.

pool-contention's threads both allocate and free, one message at a time, each freeing what
its neighbour made moments before. xmalloc-test (mimalloc-bench) has threads that only
allocate hand batches of 4096 objects to threads that only free (tests/programs/xmalloc_pattern).
The allocator's time per message (its malloc and its free on another thread) is
(allocate=1 time - allocate=0 time) / cross-thread frees, with every step a message."""
import json
import os
import statistics
import subprocess

from common import BUILD, allocbench

BACKENDS = ("system", "mimalloc", "jemalloc", "tcmalloc")
PATTERN = os.path.abspath(os.path.join(BUILD, "tests", "xmalloc_pattern"))


def worker_run(backend, *params):
    args = [os.path.join(BUILD, f"allocbench-worker-{backend}"), "--workload", "pool-contention", "--threads", "2",
            "--counting", "off"]
    for p in params:
        args += ["--param", p]
    out = json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)
    return out["metrics"]["wall_ns"], out["stats"]["cross_thread_frees"], out["params"]["ops"]


def pool_contention(backend, local_percent, pairs):
    full, empty = [], []
    for i in range(pairs):
        for allocate in ((1, 0) if i % 2 == 0 else (0, 1)):
            wall, frees, ops = worker_run(backend, f"local_percent={local_percent}", f"allocate={allocate}")
            (full if allocate else empty).append(wall)
    t1, t0 = statistics.median(full), statistics.median(empty)
    return t1, t0, frees, ops


def pattern(pairs_of_threads=1, batches=400, reps=7):
    out, _, _ = allocbench("run", "--workload", f"cmd:{PATTERN} {pairs_of_threads} {batches}", "--backend",
                           ",".join(BACKENDS), "--reps", str(reps), "--format", "json", ok=(0, 1))
    return {r["backend"]: r["metrics"]["wall_ns"]["median"] for r in json.loads(out)["results"]}


def explain(pairs=5):
    print(f"16. Cross-thread frees: pool-contention (2 threads, median of {pairs} interleaved allocate=1/allocate=0 "
          f"pairs) beside xmalloc-test's pattern (1 producer, 1 consumer, 400 batches of 4096, cmd:, 7 reps)")
    objects = 400 * 4096
    times = pattern()
    print(f"   {'':9} {'default: share':>14} {'xfree/op':>9} {'ns/op':>7} │ {'local_percent=0: share':>22} "
          f"{'ns per message':>14} {'× system':>8} │ {'xmalloc pattern ns/obj':>22} {'× system':>8}")
    rows = {}
    for backend in BACKENDS:
        t1, t0, frees, ops = pool_contention(backend, 30, pairs)
        u1, u0, ufrees, _ = pool_contention(backend, 0, pairs)
        rows[backend] = (t0 / t1, frees / ops, t1 / ops, u0 / u1, (u1 - u0) / ufrees, times[backend] / objects)
    base = rows["system"]
    for backend, (share, rate, per_op, share0, per_free, per_object) in rows.items():
        print(f"   {backend:9} {share:14.2f} {rate:9.2f} {per_op:7.1f} │ {share0:22.2f} {per_free:14.1f} "
              f"{per_free / base[4]:8.2f} │ {per_object:22.1f} {per_object / base[5]:8.2f}")
    print()
