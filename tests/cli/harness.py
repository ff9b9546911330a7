"""Runs the built allocbench the way a user does, for the CLI tests."""
import json
import os
import subprocess
import time

ALLOCBENCH = os.environ["ALLOCBENCH"]
BUILD_DIR = os.environ["ALLOCBENCH_BUILD_DIR"]

# Every backend this build made a worker for.
BACKENDS = sorted(
    name[len("allocbench-worker-"):]
    for name in os.listdir(BUILD_DIR)
    if name.startswith("allocbench-worker-")
)

# The library each backend's malloc must come from.
PROVIDERS = {
    "system": ("libc.so", "libasan", "libtsan"),
    "mimalloc": ("libmimalloc",),
    "jemalloc": ("libjemalloc",),
    "tcmalloc": ("libtcmalloc",),
    "pool": ("liballocbench-pool",),
}

# Small enough for tests, large enough to do real work.
SMALL = {
    "small-object-churn": ["ops=30000", "window=2000"],
    "connection-pool": ["requests=3000"],
    "pool-contention": ["ops=40000"],
}


def library_path(soname):
    """Where the dynamic linker finds a shared library, e.g. libjemalloc.so.2."""
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    return next(l.split("=>")[1].strip() for l in out.splitlines() if l.strip().startswith(soname + " "))


def small_params(workloads):
    args = []
    for w in workloads:
        for p in SMALL.get(w, []):
            args += ["--param", f"{w}.{p}"]
    return args


def allocbench(*args, env=None, timeout=600):
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([ALLOCBENCH, *args], capture_output=True, text=True, env=full_env, timeout=timeout)


def run_json(*args, workloads=("small-object-churn", "connection-pool", "pool-contention"), **kw):
    """`allocbench run` over small workloads; returns (process, parsed JSON report or None)."""
    p = allocbench("run", "--workload", ",".join(workloads), *small_params(workloads),
                   "--format", "json", *args, **kw)
    try:
        report = json.loads(p.stdout)
    except json.JSONDecodeError:
        report = None
    return p, report


def workers_alive(workload=""):
    """Worker processes (of one workload), not the driver whose arguments name it too."""
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return [l for l in out.splitlines() if l.split(" ", 1)[0].split("/")[-1].startswith("allocbench-worker-")
            and f"--workload {workload}" in l]


def wait_until(predicate, seconds=5.0):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()
