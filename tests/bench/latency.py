"""`make bench` item 23: run --latency on this machine, the figures of docs/metrics.md:
- what timing every call costs: a latency repetition's phase over a plain one's, side by
  side in one run (the plain repetitions, which every reported time comes from, are not
  timed), and the timer's own cost;
- an independent check on one thread: the timed calls' sum plus the harness's own time
  (the allocate=0 run) against the plain phase's wall time;
- the percentiles of the five backends on each workload, and the share of the slowest
  calls that page-faulted."""
import json

from common import WORKLOADS, allocbench

BACKENDS = ["system", "mimalloc", "jemalloc", "tcmalloc", "pool"]
ONE_THREAD = ["small-object-churn", "connection-pool"]  # run with --threads 1 for the check


def results(*args):
    out, seconds, _ = allocbench("run", *args, "--format", "json")
    return json.loads(out)["results"], seconds


def med(r, metric):
    return r["metrics"][metric]["median"]


def duration(ns):
    if ns < 10:
        return "<10 ns"
    if ns < 1000:
        return f"{ns:.0f} ns"
    return f"{ns / 1e3:.1f} µs" if ns < 1e6 else f"{ns / 1e6:.2f} ms"


def faulted(r):
    share = r["metrics"].get("malloc_p9999_faulted_share")
    return f"{100 * share['median']:.0f}%" if share else "-"  # "-": perf events refused


def run(reps=3):
    print("23. run --latency: the cost of timing every call, an independent check, the tails of five allocators")
    timed, seconds = results("--backend", ",".join(BACKENDS), "--workload", ",".join(WORKLOADS), "--reps", str(reps),
                             "--latency")
    print(f"    {len(timed)} cells, {reps} plain and {reps} latency repetitions each, in {seconds:.0f} s; "
          f"timer cost {duration(med(timed[0], 'latency_timer_ns'))}, clock step "
          f"{duration(med(timed[0], 'latency_resolution_ns'))}")
    print("    workload            backend   latency phase / plain phase | malloc p99  p99.9  p99.99  max | "
          "faulted at >=p99.99 | free p99.9  p99.99")
    for r in timed:
        print(f"    {r['workload']:<19} {r['backend']:<9} {med(r, 'latency_phase_ns') / med(r, 'wall_ns'):>10.2f}"
              f"{'':>18}| {duration(med(r, 'malloc_p99_ns')):>9} {duration(med(r, 'malloc_p999_ns')):>8} "
              f"{duration(med(r, 'malloc_p9999_ns')):>8} {duration(med(r, 'malloc_max_ns')):>8} | "
              f"{faulted(r):>18} | "
              f"{duration(med(r, 'free_p999_ns')):>9} {duration(med(r, 'free_p9999_ns')):>7}")
    print("    one thread: (timed calls' sum + the allocate=0 run's phase) / the plain phase")
    for workload in ONE_THREAD:
        one = ("--backend", ",".join(BACKENDS), "--workload", workload, "--reps", str(reps), "--threads", "1")
        calls, _ = results(*one, "--latency")
        harness, _ = results(*one, "--counting", "off", "--param", f"{workload}.allocate=0")
        by_backend = {r["backend"]: r for r in calls}
        for h in harness:
            r = by_backend[h["backend"]]
            in_calls = sum(v["median"] for k, v in r["metrics"].items() if k.endswith("_sum_ns"))
            print(f"    {workload:<19} {h['backend']:<9} ({in_calls / 1e6:6.1f} + {med(h, 'wall_ns') / 1e6:6.1f} ms) / "
                  f"{med(r, 'wall_ns') / 1e6:6.1f} ms = {(in_calls + med(h, 'wall_ns')) / med(r, 'wall_ns'):.2f}")
    print()
