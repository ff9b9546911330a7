#!/usr/bin/env python3
"""allocbench's own performance goals, measured and printed as figures (`make bench`).

This machine is shared and noisy: every comparison is a ratio of medians measured
side by side, interleaved, in one run. Nothing here asserts; each figure is printed
with its goal and the numbers behind it.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from common import ALLOCBENCH, BUILD, ENV, SLOW_MALLOC, WORKLOADS, allocbench, paired_ratio, spin, verdict, worker
import cross_thread
import harness
import profiles
import instructions
import pool_backend
import programs
import replay
import auto_reps
import history
import latency
import memory_over_time


def counting_cost(backend="mimalloc", pairs=11):
    print(f"1. Counting wrapper cost: {backend}, median wall time with counting on / off, "
          f"{pairs} interleaved pairs of fresh workers per workload (goal ≤ 1.03)\n"
          "   (reported times never include it: they come from uncounted repetitions)")
    for workload in WORKLOADS:
        ratio, on, off = paired_ratio(backend, workload, ["--counting", "on"], ["--counting", "off"], pairs)
        print(f"   {workload:<20} {ratio:.3f}  {verdict(ratio <= 1.03)}  "
              f"(on: median {on / 1e6:.1f} ms, off: {off / 1e6:.1f} ms)")


def timeline_cost(backend="mimalloc", pairs=11):
    print(f"6. Timeline sampler cost (--timeline, 10 ms): {backend}, uncounted, median wall time with / without "
          f"the sampler, {pairs} interleaved pairs per workload (goal ≤ 1.02)")
    for workload in WORKLOADS:
        off = ["--counting", "off"]
        ratio, on, without = paired_ratio(backend, workload, off + ["--timeline-ms", "10"], off, pairs)
        print(f"   {workload:<20} {ratio:.3f}  {verdict(ratio <= 1.02)}  "
              f"(with: median {on / 1e6:.1f} ms, without: {without / 1e6:.1f} ms)")


def default_run_time():
    print("2. Default `allocbench run` (all backends × all workloads, 5 reps + 1 warm-up) (goal ≤ 60 s)")
    _, seconds, _ = allocbench("run")
    print(f"   {seconds:.1f} s  {verdict(seconds <= 60)}")


def process_overhead(reps=40):
    print(f"3. Per-repetition overhead: the `empty` workload, {reps} reps on every backend (goal ≤ 5 ms)")
    out, seconds, _ = allocbench("run", "--workload", "empty", "--reps", str(reps), "--warmup", "0", "--format", "json")
    count = len(json.loads(out)["results"]) * reps
    per_rep_ms = seconds / count * 1000
    print(f"   {per_rep_ms:.2f} ms per repetition  {verdict(per_rep_ms <= 5)}  ({count} worker processes in {seconds:.2f} s, "
          "driver start-up included)")


def spread(runs=5):
    print(f"4. Spread: {runs} identical `allocbench run --workload small-object-churn` (5 reps + 1 warm-up); "
          "largest difference between the runs' medians (goal ≤ 3%)")
    medians = {}
    for _ in range(runs):
        out, _, _ = allocbench("run", "--workload", "small-object-churn", "--format", "json")
        for r in json.loads(out)["results"]:
            medians.setdefault(r["backend"], []).append(r["metrics"]["wall_ns"]["median"])
    for backend, values in medians.items():
        worst = (max(values) - min(values)) / min(values)
        print(f"   {backend:<10} {worst * 100:4.1f}%  {verdict(worst <= 0.03)}  "
              f"(medians, ms: {', '.join(f'{v / 1e6:.1f}' for v in values)})")


def wall_ms(args, env=None):
    out, _, _ = allocbench(*args, "--format", "json", env=env, ok=(0, 1))
    return json.loads(out)["results"][0]["metrics"]["wall_ns"]["median"] / 1e6


def gate_rates(trials=10, slowdowns=(5, 10, 20)):
    """False alarms and detections of the default gate (--reps 5, --threshold 5) on wall time.

    The slowdowns are injected by an allocator: glibc with an empty loop turned N times in
    every call (tests/programs/slow_malloc.cpp, preloaded), so the work and its checksum
    stay the same. N for each percentage is calibrated first, and the slowdown each N
    really caused is measured and printed beside its detection rate."""
    run = ["run", "--backend", f"preload:{SLOW_MALLOC}", "--workload", "small-object-churn",
           "--param", "small-object-churn.ops=2000000"]

    def slowdown(n, pairs=7):  # median time with n extra turns / without, interleaved
        plain, slowed = [], []
        for _ in range(pairs):
            plain.append(wall_ms(run, spin(0)))
            slowed.append(wall_ms(run, spin(n)))
        return statistics.median(slowed) / statistics.median(plain) - 1

    # The cost of a turn, from a least-squares line through the origin over a few N.
    probes = {n: slowdown(n) for n in (5, 10, 20)}
    per_turn = sum(n * d for n, d in probes.items()) / sum(n * n for n in probes)
    spins = {s: max(1, round(s / 100 / per_turn)) for s in slowdowns}
    print(f"5. The gate on wall time at its defaults (--reps 5, --threshold 5, best repetition + one-sided U test):\n"
          f"   a baseline, then {trials} rounds of one identical run and one run per injected slowdown, judged with "
          f"--metric wall_ns\n   (small-object-churn, 2M ops, on glibc preloaded with a chain of N dependent additions per call; "
          f"goals: 0 false alarms, 100% detection of what measures +10% and more)")
    with tempfile.TemporaryDirectory() as d:
        baseline = os.path.join(d, "baseline.json")
        allocbench(*run, "--save-baseline", baseline, env=spin(0))
        cases = {0: 0, **spins}
        alarms = {s: 0 for s in cases}
        times = {s: [] for s in cases}
        for _ in range(trials):  # interleaved, so that drift hits every case alike
            for slowdown, n in cases.items():
                out, _, code = allocbench(*run, "--baseline", baseline, "--metric", "wall_ns", "--format", "json",
                                          ok=(0, 1), env=spin(n))
                alarms[slowdown] += code == 1
                times[slowdown].append(json.loads(out)["results"][0]["metrics"]["wall_ns"]["median"])
    same = statistics.median(times[0])
    print(f"   identical re-runs: false alarms {alarms[0]}/{trials}")
    real = {s: statistics.median(times[s]) / same - 1 for s in slowdowns}
    for s in slowdowns:  # the goal is judged on the slowdown measured, not on the one aimed at
        print(f"   N = {spins[s]:<2} (aimed at +{s}%), measured {real[s] * 100:+.1f}%: detected {alarms[s]}/{trials}")
    good = alarms[0] == 0 and all(alarms[s] == trials for s in slowdowns if real[s] >= 0.10)
    print(f"   {verdict(good)}")


def timed(command, env=None, quiet=False):
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL if quiet else None, env=env)
    return time.perf_counter() - start


def record_cost(iterations=400000, pairs=7):
    """The test program alone and under the recorder, interleaved; returns the trace of the last recording."""
    program = [os.path.join(BUILD, "tests", "alloc_threads"), "0", str(iterations)]
    trace = os.path.join(tempfile.mkdtemp(prefix="allocbench-bench-"), "program.trace")
    recorded = dict(ENV, LD_PRELOAD=os.path.abspath(os.path.join(BUILD, "liballocbench-recorder.so")),
                    ALLOCBENCH_TRACE_FILE=trace)
    runs = {"plain": [], "recorded": [], "record": []}
    for i in range(pairs):
        order = ("plain", "recorded", "record") if i % 2 == 0 else ("record", "recorded", "plain")
        for mode in order:
            if mode == "plain":
                runs[mode].append(timed(program, ENV))
            elif mode == "recorded":
                runs[mode].append(timed(program, recorded))
            else:  # what a user runs: the recorder, then the trace read back and checked
                runs[mode].append(timed([ALLOCBENCH, "record", "-o", trace, "--", *program], ENV, quiet=True))
    info = json.loads(allocbench("trace-info", trace, "--format", "json")[0])
    plain, under, whole = (statistics.median(runs[m]) for m in ("plain", "recorded", "record"))
    print(f"7. Recording: tests/programs/alloc_threads, one thread, {info['operations']:,} operations, "
          f"median of {pairs} interleaved runs (goal: well under 1 s extra)")
    print(f"   program alone {plain:.3f} s · under the recorder {under:.3f} s (+{under - plain:.3f} s, "
          f"{(under - plain) / info['operations'] * 1e9:.0f} ns per operation) · `allocbench record` "
          f"{whole:.3f} s (+{whole - plain:.3f} s)  {verdict(whole - plain < 0.5)}")
    print(f"   trace {os.path.getsize(trace) / 2**20:.1f} MiB, "
          f"{os.path.getsize(trace) / info['operations']:.1f} bytes per operation\n")
    return trace


def replay_overhead(trace, pairs=7):
    print(f"8. Replay's own cost: the same trace replayed with allocate=0 (ids mapped, objects not allocated) / "
          f"the full replay, uncounted, median of {pairs} interleaved pairs (goal ≤ 0.25)")
    off = ["--counting", "off"]
    for backend in ("system", "mimalloc", "jemalloc", "tcmalloc"):
        ratio, empty, full = paired_ratio(backend, f"trace:{trace}", off + ["--param", "allocate=0"], off, pairs)
        print(f"   {backend:9} {ratio:.3f}  (empty {empty / 1e6:.1f} ms, full {full / 1e6:.1f} ms)  {verdict(ratio <= 0.25)}")
    print()


ITEMS = {
    "1": counting_cost,
    "2": default_run_time,
    "3": process_overhead,
    "4": spread,
    "5": gate_rates,
    "6": timeline_cost,
    "7-8": lambda: replay_overhead(record_cost()),
    "9": instructions.repeatability,
    "10": instructions.sensitivity_under_load,
    "11": instructions.cost,
    "12": instructions.agreement,
    "13": replay.scale,
    "14": programs.replay_against_reality,
    "15": harness.share,
    "16": cross_thread.explain,
    "17": profiles.replay_against_recording,
    "18": pool_backend.against_general,
    "19": auto_reps.gate,
    "20": auto_reps.ranking,
    "21": history.run,
    "22": memory_over_time.run,
    "23": latency.run,
}

if __name__ == "__main__":
    # bench.py BUILD [ITEM...]: every item, or those named (make bench ITEMS="5 6")
    chosen = sys.argv[2:] or list(ITEMS)
    unknown = [i for i in chosen if i not in ITEMS]
    if unknown:
        sys.exit(f"bench.py: unknown item {unknown[0]!r}; items: {', '.join(ITEMS)}")
    print(f"allocbench benchmarks, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores\n")
    for item in chosen:
        ITEMS[item]()
