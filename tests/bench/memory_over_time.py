"""`make bench` item 22: memory over time (run --idle, the calls that return memory, the
fragmentation workload), the claims of docs/metrics.md measured on this machine:
- default jemalloc gives back less over a plain idle than jemalloc:background_thread=true;
- every allocator's own purge call gives back at least as much as its plain idle;
- glibc's malloc_trim gives back the holes a plain idle keeps;
- RSS less LazyFree differs from RSS where an allocator uses MADV_FREE;
- the idle samples agree with /proc/PID/smaps_rollup read from outside the worker;
- fragmentation's RSS at its end tells allocators apart beyond their run-to-run spread."""
import json
import os
import subprocess
import sys
import time

from common import ALLOCBENCH, allocbench

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
from proc_view import children, outside_view  # noqa: E402

BACKENDS = ["system", "mimalloc", "jemalloc", "tcmalloc", "pool"]
WINDOW = ["--workload", "small-object-churn", "--param", "small-object-churn.ops=400000",
          "--param", "small-object-churn.window=200000"]  # about 40 MiB live, freed at teardown


def mib(b):
    return f"{b / 2**20:.1f} MiB"


def results(*args):
    out, _, _ = allocbench("run", *args, "--format", "json", ok=(0, 1))
    return {r["backend"]: r for r in json.loads(out)["results"]}


def median(r, metric):
    return r["metrics"][metric]["median"]


def idle_and_purge():
    plain = results("--backend", ",".join(BACKENDS), *WINDOW, "--reps", "2", "--idle", "1.5s")
    purged = results("--backend", ",".join(BACKENDS), *WINDOW, "--reps", "2", "--idle", "1.5s", "--idle-purge")
    print("    a 40 MiB window freed at teardown, 2 reps: held after teardown -> after a 1.5 s idle | with the purge call")
    for b in BACKENDS:
        p, q = plain[b], purged[b]
        ok = median(q, "rss_after_idle_bytes") <= median(p, "rss_after_idle_bytes") + 4096
        print(f"    {b:<9} {mib(median(p, 'held_at_end_bytes')):>9} -> {mib(median(p, 'rss_after_idle_bytes')):>9} "
              f"({median(p, 'returned_share') * 100:3.0f}% back) | {mib(median(q, 'rss_after_idle_bytes')):>9} "
              f"({median(q, 'returned_share') * 100:3.0f}% back, call {median(q, 'purge_ns') / 1e6:.2f} ms)  "
              f"purge >= idle: {'yes' if ok else 'NO'}")


def jemalloc_background_threads(idle="40s"):
    # Its 10 s decay purges a page gradually over the 10 s after it was freed, and only when
    # something runs the decay: the allocator's next call, or a background thread.
    rows = results("--backend", "jemalloc,jemalloc:background_thread=true", *WINDOW, "--reps", "2", "--idle", idle,
                   "--timeout", "120")
    print(f"    jemalloc over a {idle} idle (10 s decay), 2 reps: held after teardown -> 1 s -> 10 s -> the end")
    returned = {}
    for name, r in rows.items():
        moments = ("held_at_end_bytes", "held_after_1s_bytes", "held_after_10s_bytes", "rss_after_idle_bytes")
        returned[name] = median(r, "held_at_end_bytes") - median(r, "rss_after_idle_bytes")
        print(f"    {name:<33} " + " -> ".join(mib(median(r, m)) for m in moments) +
              f"  ({mib(returned[name])} back)")
    more = returned["jemalloc:background_thread=true"] > returned["jemalloc"] + 4096
    print(f"    default gives back less than background threads: {'yes' if more else 'NO'}")


def lazy_free():
    rows = results("--backend", "mimalloc,mimalloc:page_reset=true,jemalloc:dirty_decay_ms=0", "--workload",
                   "connection-pool", "--reps", "3", "--idle", "1s")
    print("    connection-pool, 3 reps, after a 1 s idle: RSS | RSS less LazyFree | MADV_FREE / MADV_DONTNEED bytes of the phase")
    for name, r in rows.items():
        print(f"    {name:<27} {mib(median(r, 'raw_rss_after_idle_bytes')):>9} | {mib(median(r, 'rss_after_idle_bytes')):>9} | "
              f"{mib(median(r, 'madv_free_bytes'))} / {mib(median(r, 'madv_dontneed_bytes'))} "
              f"in {median(r, 'madvise_calls'):.0f} calls, {median(r, 'return_syscalls_ns') / 1e6:.1f} ms")


def from_outside():
    print("    the idle samples against /proc/PID/smaps_rollup read by this script every 2 ms (pool-contention, 1 s idle):")
    for backend in BACKENDS:
        run = subprocess.Popen([ALLOCBENCH, "run", "--backend", backend, "--workload", "pool-contention", "--param",
                                "pool-contention.ops=100000", "--reps", "1", "--idle", "1s", "--timeline", "--format",
                                "json"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        readings = []
        while run.poll() is None:
            for pid in children(run.pid):
                view = outside_view(pid)
                if view:
                    readings.append(view[0])
            time.sleep(0.002)
        inside = json.loads(run.communicate()[0])["results"][0]["timeline"]["idle_held_bytes"]
        worst = max(min(abs(h - o) for o in readings) for h in inside)
        print(f"    {backend:<9} {len(inside)} samples, {len(readings)} outside readings: the farthest sample is "
              f"{worst:.0f} B from the nearest reading")


def fragmentation(reps=5):
    rows = results("--backend", ",".join(BACKENDS), "--workload", "fragmentation", "--reps", str(reps))
    print(f"    fragmentation (defaults), {reps} reps: RSS at the end, after the live set shrank "
          f"(median, min-max) | held (RSS less LazyFree) per live byte after the shrink")
    ranges = {}
    for b in BACKENDS:
        samples = rows[b]["metrics"]["rss_end_bytes"]["samples"]
        ranges[b] = (min(samples), max(samples))
        print(f"    {b:<9} {mib(median(rows[b], 'rss_end_bytes')):>9} ({mib(min(samples))}-{mib(max(samples))}) | "
              f"{rows[b]['stats']['rss_per_live_after_shrink_pct'] / 100:.1f}")
    apart = [(a, b) for i, a in enumerate(BACKENDS) for b in BACKENDS[i + 1:]
             if ranges[a][1] < ranges[b][0] or ranges[b][1] < ranges[a][0]]
    print(f"    pairs whose ranges do not overlap: {len(apart)} of {len(BACKENDS) * (len(BACKENDS) - 1) // 2}\n")


def run():
    print("22. Memory over time: --idle, --idle-purge, the calls that return memory, fragmentation")
    idle_and_purge()
    jemalloc_background_threads()
    lazy_free()
    from_outside()
    fragmentation()
