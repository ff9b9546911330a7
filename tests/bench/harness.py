"""`make bench` item 15: each synthetic workload's harness share.

allocate=0 runs the same work on objects from a pool set up beforehand (workloads/object_pool.hpp),
with no allocator call in the phase: its time over the full run's is the share of the time the
workload spends on itself rather than in the allocator."""
from common import WORKLOADS, paired_ratio, verdict

BACKENDS = ("system", "mimalloc", "jemalloc", "tcmalloc")


def share(pairs=7):
    print(f"15. Harness share: allocate=0 time / allocate=1 time, uncounted, median of {pairs} interleaved pairs "
          f"of fresh workers (goal ≤ 0.35 on mimalloc, the fastest)")
    print(f"   {'':20} " + " ".join(f"{b:>9}" for b in BACKENDS))
    off = ["--counting", "off"]
    for workload in WORKLOADS:
        cells, goal = [], True
        for backend in BACKENDS:
            ratio, _, _ = paired_ratio(backend, workload, off + ["--param", "allocate=0"], off, pairs)
            cells.append(f"{ratio:9.2f}")
            if backend == "mimalloc":
                goal = ratio <= 0.35
        print(f"   {workload:<20} {' '.join(cells)}  {verdict(goal)}")
    print()
