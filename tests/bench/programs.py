"""`make bench` item 14: a real program, run for real (cmd:) and replayed from its recording
(trace:), side by side; and the counting library's cost on the counted run."""
import json
import os
import statistics
import subprocess
import sys
import tempfile

from common import ALLOCBENCH, BUILD, ENV, allocbench

BACKENDS = ["system", "mimalloc", "jemalloc", "tcmalloc"]
PROGRAM_ENV = dict(ENV, PYTHONMALLOC="malloc", PYTHONHASHSEED="0")


def python_work(rows=60000, rounds=3):
    """CPython with every object from malloc: JSON dump and parse, and sorting."""
    return f"""
import json, random
random.seed(7)
rows = [{{"id": i, "name": f"user{{i}}", "tags": [random.random() for _ in range(8)]}} for i in range({rows})]
for _ in range({rounds}):
    back = json.loads(json.dumps(rows))
    back.sort(key=lambda r: r["tags"][0])
"""


def ranked(results, comparison, reference="system"):
    """[(backend, median s, ratio to the reference, one-sided p against it)], fastest first."""
    median = {r["backend"]: r["metrics"]["wall_ns"]["median"] / 1e9 for r in results}
    p = {c["backend"]: c["p"] for c in comparison["comparisons"] if c.get("metric") == "wall_ns" and "p" in c}
    return [(b, median[b], median[b] / median[reference], p.get(b)) for b in sorted(median, key=median.get)]


def run(workload, reps):
    out, _, _ = allocbench("run", "--workload", workload, "--backend", ",".join(BACKENDS), "--reps", str(reps),
                           "--reference", "system", "--format", "json", env=PROGRAM_ENV, ok=(0, 1))
    report = json.loads(out)
    return ranked(report["results"], report["comparison"])


def print_ranking(title, rows):
    print(f"   {title}")
    for backend, seconds, ratio, p in rows:
        against = "" if p is None else f"  p = {p:.4f} against system"
        print(f"     {backend:9} {seconds * 1e3:8.1f} ms  {ratio:5.2f} × system{against}")


def counting_cost(command, tmp, pairs=7):
    """Median wall time of the counted run over the uncounted one, glibc, interleaved pairs."""
    launcher = os.path.join(BUILD, "allocbench-launcher")
    times = {"on": [], "off": []}
    for i in range(pairs):
        for mode in (("on", "off") if i % 2 == 0 else ("off", "on")):
            out = subprocess.run([launcher, "--command", command, "--output-dir", tmp, "--expect", "libc.so",
                                  "--counting", mode], capture_output=True, text=True, env=PROGRAM_ENV, check=True)
            times[mode].append(json.loads(out.stdout)["metrics"]["wall_ns"])
    on, off = statistics.median(times["on"]), statistics.median(times["off"])
    return on / off, on / 1e9, off / 1e9


def replay_against_reality(reps=9):
    with tempfile.TemporaryDirectory(prefix="allocbench-bench-") as tmp:
        script = os.path.join(tmp, "work.py")
        with open(script, "w") as f:
            f.write(python_work())
        command = f"{sys.executable} {script}"
        trace = os.path.join(tmp, "work.trace")
        subprocess.run([ALLOCBENCH, "record", "-o", trace, "--", sys.executable, script], env=PROGRAM_ENV,
                       check=True, capture_output=True)
        info = json.loads(allocbench("trace-info", trace, "--format", "json")[0])
        print(f"14. A real program, run (cmd:) and replayed (trace:): CPython (PYTHONMALLOC=malloc) dumping, parsing "
              f"and sorting JSON, {info['operations']:,} allocator calls; {reps} reps per backend, medians, "
              "p from allocbench's one-sided U test against system")
        real = run(f"cmd:{command}", reps)
        replayed = run(f"trace:{trace}", reps)
        print_ranking("cmd: (the whole program, wall time)", real)
        print_ranking("trace: (its allocator calls replayed, phase time)", replayed)
        same = [b for b, *_ in real] == [b for b, *_ in replayed]
        print(f"   rankings {'agree' if same else 'DIFFER'}")
        real_s = {b: s for b, s, _, _ in real}
        replay_s = {b: s for b, s, _, _ in replayed}
        shares = []
        for b in BACKENDS[1:]:
            d_real, d_replay = real_s[b] - real_s["system"], replay_s[b] - replay_s["system"]
            shares.append((d_real, d_replay))
            print(f"   {b:9} time difference from system: real {d_real * 1e3:+7.1f} ms, replay {d_replay * 1e3:+7.1f} ms"
                  f" → the replay explains {d_replay / d_real:.0%}" if d_real else "")
        # Least squares: the replay's differences are, at best, k × the real ones. k is the
        # share explained: 1 when the replay predicts every difference, 0 or below when it
        # predicts none of them, or their opposite.
        real_square = sum(r * r for r, _ in shares)
        explained = sum(r * p for r, p in shares) / real_square if real_square else 0
        print(f"   all together the replay explains {explained:.0%} of the real differences (least squares over "
              "the backends)")
        ratio, on, off = counting_cost(command, tmp)
        print(f"   counting library on the counted run (glibc): {ratio:.2f} × the uncounted run "
              f"({on:.3f} s against {off:.3f} s, medians of 7 interleaved pairs); times never come from it\n")
