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


def _registered_workloads():
    """Every workload that allocates, as `allocbench list` shows it, with its small
    parameters: the standard ones, and in builds with the tests the example that proves a
    workload added in one file is tested without editing the tests."""
    env = dict(os.environ, ALLOCBENCH_LIST_EXAMPLE="1")
    listed = subprocess.run([ALLOCBENCH, "list", "--format", "json"], capture_output=True, text=True, env=env)
    workloads = json.loads(listed.stdout)["workloads"]
    return {w["name"]: [f"{k}={v}" for k, v in w["small_params"].items()]
            for w in workloads if w["kind"] in ("standard", "example")}


# Small enough for tests, large enough to do real work: name -> ["KEY=VALUE", ...].
SMALL = _registered_workloads()
assert "test-stack" in SMALL, "the test-only example workload must be listed to the tests"


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


def run_json(*args, workloads=tuple(SMALL), **kw):
    """`allocbench run` over small workloads (every registered one unless told); returns
    (process, parsed JSON report or None)."""
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


def check_usage_errors(test, command, cases):
    """Each (args, expected) of `cases` run as `allocbench *command *args` exits 2 with
    `expected` in its stderr."""
    for args, expected in cases:
        with test.subTest(args=args):
            p = allocbench(*command, *args)
            test.assertEqual(p.returncode, 2, p.stdout + p.stderr)
            test.assertIn(expected, p.stderr)
