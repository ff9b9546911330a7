"""What every `make bench` item uses: the build, running allocbench, and the verdict words."""
import json
import os
import statistics
import subprocess
import sys
import time

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
ALLOCBENCH = os.path.join(BUILD, "allocbench")
WORKLOADS = ["small-object-churn", "connection-pool", "pool-contention", "fragmentation"]
ENV = dict(os.environ, ALLOCBENCH_NO_WARNINGS="1")
# glibc with a chain of N dependent additions in every call (tests/programs/slow_malloc.cpp),
# preloaded: the same work and checksum, a known amount of extra work per call.
SLOW_MALLOC = os.path.abspath(os.path.join(BUILD, "tests", "libslow_malloc.so"))


def spin(n):
    return {"ALLOCBENCH_TEST_SPIN": str(n)}


def worker(backend, workload, *args):
    out = subprocess.run([os.path.join(BUILD, f"allocbench-worker-{backend}"), "--workload", workload, *args],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["metrics"]["wall_ns"]


def paired_ratio(backend, workload, with_args, without_args, pairs):
    """Median wall time of fresh workers with / without some flags, in interleaved pairs."""
    runs = {"with": [], "without": []}
    worker(backend, workload, *with_args)  # warm the page cache
    for i in range(pairs):
        # Alternate which goes first, so that drift hits both alike.
        for mode in (("with", "without") if i % 2 == 0 else ("without", "with")):
            runs[mode].append(worker(backend, workload, *(with_args if mode == "with" else without_args)))
    a, b = statistics.median(runs["with"]), statistics.median(runs["without"])
    return a / b, a, b


def allocbench(*args, env=None, ok=(0,)):
    start = time.monotonic()
    out = subprocess.run([ALLOCBENCH, *args], capture_output=True, text=True, env=dict(ENV, **(env or {})))
    if out.returncode not in ok:
        sys.exit(f"allocbench {' '.join(args)} failed ({out.returncode}):\n{out.stderr}")
    return out.stdout, time.monotonic() - start, out.returncode


def verdict(ok):
    return "meets the goal" if ok else "MISSES the goal"
