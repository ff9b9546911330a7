"""`make bench` item 13: replaying traces at scale (synthetic traces from tests/programs/make_trace)."""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from common import ALLOCBENCH, BUILD, ENV, verdict

MAKE_TRACE = os.path.join(BUILD, "tests", "make_trace")
WORKER = os.path.join(BUILD, "allocbench-worker-mimalloc")


def measured(command, env):
    """(seconds, largest resident set in bytes of the command and its children, stdout)."""
    probe = ("import resource, subprocess, sys, time\n"
             "t = time.perf_counter()\n"
             "p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)\n"
             "t = time.perf_counter() - t\n"
             "assert p.returncode == 0, (sys.argv, p.returncode, p.stderr[-2000:])\n"
             "sys.stderr.write(f'{t} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024}\\n')\n"
             "sys.stdout.buffer.write(p.stdout)\n")
    p = subprocess.run([sys.executable, "-c", probe, *command], capture_output=True, env=env, check=True)
    seconds, rss = p.stderr.decode().split()
    return float(seconds), int(rss), p.stdout


def run_args(trace, *args):
    return [ALLOCBENCH, "run", "--workload", f"trace:{trace}", "--backend", "mimalloc", "--warmup", "0",
            "--counting", "off", "--format", "json", *args]


def scale_item(label, operations, threads, env, tmp, worker_reps, backends_reps=0):
    trace = os.path.join(tmp, f"{label}.trace")
    start = time.perf_counter()
    subprocess.run([MAKE_TRACE, trace, str(operations), str(threads)], check=True)
    made = time.perf_counter() - start
    size = os.path.getsize(trace)
    print(f"   {label}: {operations:,} operations on {threads} threads with cross-thread frees, "
          f"{size / 2**20:.0f} MiB ({size / operations:.1f} B/op), written in {made:.1f} s")

    seconds, rss, out = measured([ALLOCBENCH, "trace-info", trace, "--format", "json"], env)
    info = json.loads(out)
    info_goal = rss <= 40 * operations and (operations > 20e6 or rss <= 256 * 2**20)
    print(f"   trace-info       {seconds:6.1f} s   peak RSS {rss / 2**20:6.0f} MiB = {rss / operations:5.1f} B/op "
          f"({info['live_objects_at_end']:,} objects live at the end)  {verdict(info_goal)}")

    # The first run, with allocate=0: the replay's own memory alone (the driver preparing, then
    # a worker replaying without the program's objects), in its largest process.
    seconds, rss, out = measured(run_args(trace, "--reps", "1", "--param", f"trace:{trace}.allocate=0"), env)
    phase = json.loads(out)["results"][0]["metrics"]["wall_ns"]["median"] / 1e9
    prepared = [os.path.join(env["ALLOCBENCH_CACHE_DIR"], f) for f in os.listdir(env["ALLOCBENCH_CACHE_DIR"])]
    prepared_bytes = max(os.path.getsize(f) for f in prepared)
    print(f"   first run        {seconds:6.1f} s   prepares {prepared_bytes / 2**20:.0f} MiB ({prepared_bytes / operations:.1f}"
          f" B/op), replays with allocate=0 ({phase:.1f} s); largest process {rss / 2**20:.0f} MiB = "
          f"{rss / operations:.1f} B/op  {verdict(rss <= 40 * operations)}")

    # Per repetition: a worker's whole life minus its phase, the cache warm.
    prepared_file = max(prepared, key=os.path.getsize)
    overheads = []
    worker_rss = 0
    for _ in range(worker_reps):
        seconds, rss, out = measured([WORKER, "--workload", f"trace:{trace}", "--prepared", prepared_file,
                                      "--counting", "off"], env)
        overheads.append(seconds - json.loads(out)["metrics"]["wall_ns"] / 1e9)
        worker_rss = max(worker_rss, rss)
    overhead = statistics.median(overheads)
    print(f"   per repetition   {overhead:6.2f} s   a worker's time beyond its phase, median of {worker_reps} "
          f"({overhead / operations * 1e9:.1f} ns/op)  {verdict(overhead <= 1)}")
    print(f"   worker           peak RSS {worker_rss / 2**20:.0f} MiB replaying the program's objects (its peak live "
          f"bytes: {info['peak_live_bytes'] / 2**20:.0f} MiB requested)")
    if backends_reps:
        reps = backends_reps
        seconds, _, out = measured([ALLOCBENCH, "run", "--workload", f"trace:{trace}", "--backend", "all", "--reps",
                                    str(reps), "--warmup", "0", "--format", "json"], env)
        results = json.loads(out)["results"]
        phases = sum(sum(r["metrics"]["wall_ns"]["samples"]) for r in results) / 1e9
        print(f"   {reps} reps × {len(results)} backends, cache warm, counted run included: {seconds:.0f} s for "
              f"{phases:.0f} s of measured phases")
    os.remove(trace)
    return overhead


def harness_share(env, tmp, pairs=5):
    """allocate=0 / allocate=1 on mimalloc, interleaved pairs, a single- and a multi-threaded trace."""
    for threads in (1, 4):
        trace = os.path.join(tmp, f"share{threads}.trace")
        subprocess.run([MAKE_TRACE, trace, "3000000", str(threads)], check=True)
        times = {0: [], 1: []}
        for i in range(pairs):
            for allocate in ((0, 1) if i % 2 == 0 else (1, 0)):
                _, _, out = measured(run_args(trace, "--reps", "1", "--param", f"trace:{trace}.allocate={allocate}"),
                                     env)
                times[allocate].append(json.loads(out)["results"][0]["metrics"]["wall_ns"]["median"] / 1e6)
        empty, full = statistics.median(times[0]), statistics.median(times[1])
        print(f"   harness share, {threads} thread{'s' if threads > 1 else ''}, 3M operations: {empty / full:.3f} "
              f"(allocate=0 {empty:.0f} ms, allocate=1 {full:.0f} ms, medians of {pairs} interleaved pairs)  "
              f"{verdict(empty / full <= 0.15)}")


def scale():
    print("13. Replay at scale: synthetic traces (tests/programs/make_trace), mimalloc, uncounted. Goals: "
          "≤ 40 B/op of peak RSS in every process, trace-info ≤ 256 MiB at ~17M operations, per-repetition "
          "overhead ≤ 1 s at ~17M and ≤ 10 ns/op of growth, harness share ≤ 0.15")
    tmp = tempfile.mkdtemp(prefix="allocbench-scale-")
    env = dict(ENV, ALLOCBENCH_CACHE_DIR=os.path.join(tmp, "cache"))
    try:
        small = scale_item("1.7M", 1_730_000, 4, env, tmp, worker_reps=5)
        large = scale_item("17.3M", 17_300_000, 4, env, tmp, worker_reps=5, backends_reps=9)
        growth = (large - small) / (17_300_000 - 1_730_000) * 1e9
        print(f"   overhead growth  {growth:.1f} ns per operation between the two  {verdict(growth <= 10)}")
        shutil.rmtree(env["ALLOCBENCH_CACHE_DIR"])
        scale_item("100M", 100_000_000, 4, env, tmp, worker_reps=1)
        shutil.rmtree(env["ALLOCBENCH_CACHE_DIR"])
        harness_share(env, tmp)
    finally:
        shutil.rmtree(tmp)
    print()
