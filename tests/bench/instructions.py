"""`make bench` items 9-12: the instruction-count gate (--measure instructions)."""
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile

from common import BUILD, SLOW_MALLOC, WORKLOADS, allocbench, spin, verdict

# The README's CI configuration in this mode: small enough for a minute on every backend.
CI_PARAMS = {"small-object-churn": "ops=100000", "connection-pool": "requests=3000", "pool-contention": "ops=50000",
             "fragmentation": "ops=100000"}


def params(workloads=WORKLOADS, scale=1):
    def scaled(setting):
        name, value = setting.split("=")
        return f"{name}={int(value) * scale}"
    return [a for w in workloads for a in ("--param", f"{w}.{scaled(CI_PARAMS[w])}")]


CI = [*params(), "--reps", "4"]


def counted(*args, env=None, ok=(0,)):
    out, seconds, code = allocbench("run", "--measure", "instructions", *args, "--format", "json", env=env, ok=ok)
    return json.loads(out)["results"], seconds, code


def relative_range(values):
    return (max(values) - min(values)) / statistics.median(values)


def repeatability(runs=3, reps=5):
    print(f"9. Instruction counts repeat: `instructions` of every workload x backend over {reps} repetitions, in "
          f"{runs} separate runs\n   (the CI configuration's parameters; goal: one thread exact, within 0.01% at most)")
    within, medians, threads = {}, {}, {}
    for _ in range(runs):
        results, _, _ = counted(*params(), "--reps", str(reps))
        for r in results:
            key = (r["workload"], r["backend"])
            samples = r["metrics"]["instructions"]["samples"]
            within[key] = max(within.get(key, 0), relative_range(samples))
            medians.setdefault(key, []).append(statistics.median(samples))
            threads[key] = r["threads"]
    for key, values in medians.items():
        worst = max(within[key], relative_range(values))
        goal = f"  {verdict(worst <= 1e-4)}" if threads[key] == 1 else "  (threads: samples)"
        print(f"   {key[0]:<19} {key[1]:<9} {threads[key]} thread{'s' if threads[key] > 1 else ' '}  within a run "
              f"{within[key] * 100:.4f}%  across runs {relative_range(values) * 100:.4f}%{goal}")


@contextlib.contextmanager
def busy_cores():
    """Every core spinning in another process, as on a shared CI runner at its worst."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 2)]
    try:
        yield
    finally:
        for p in spinners:
            p.kill()
            p.wait()


def sensitivity_under_load(trials=10):
    churn = ["--backend", f"preload:{SLOW_MALLOC}", "--workload", "small-object-churn",
             "--param", "small-object-churn.ops=100000"]
    count = lambda n: counted(*churn, "--reps", "1", env=spin(n))[0][0]["metrics"]["instructions"]["median"]
    # The same library before and after: a chain of `base` additions per call, then a few
    # more turns, as few as make 1% to 2% more instructions (each turn adds about 3 per call).
    base = 20
    more = next(k for k in range(1, 20) if count(base + k) / count(base) - 1 >= 0.01)
    added = count(base + more) / count(base) - 1
    print(f"10. Sensitivity under load: small-object-churn, 100k steps, on glibc preloaded with a chain of {base} "
          f"dependent additions per call, against {base + more}: {added * 100:+.2f}% instructions.\n"
          f"    Both cores run busy loops throughout. {trials} identical runs and {trials} injected ones against each "
          f"gate (goals, instructions at --threshold instructions=1: 0 false alarms, {trials}/{trials} caught)")
    with tempfile.TemporaryDirectory() as d, busy_cores():
        base_i, base_w = os.path.join(d, "instructions.json"), os.path.join(d, "wall.json")
        counted(*churn, "--reps", "1", "--save-baseline", base_i, env=spin(base))
        allocbench("run", *churn, "--reps", "5", "--save-baseline", base_w, env=spin(base))
        cases = {"same": spin(base), "injected": spin(base + more)}
        alarms = {(gate, case): 0 for gate in ("instructions 1%", "wall 1%", "wall 5%") for case in cases}
        wall = {case: [] for case in cases}
        for _ in range(trials):
            for case, env in cases.items():
                _, _, code = counted(*churn, "--reps", "1", "--baseline", base_i, "--metric", "instructions",
                                     "--threshold", "instructions=1", env=env, ok=(0, 1))
                alarms[("instructions 1%", case)] += code == 1
                out = os.path.join(d, "now.json")
                allocbench("run", *churn, "--reps", "5", "--format", "json", "--output", out, env=env)
                with open(out) as f:
                    wall[case].append(json.load(f)["results"][0]["metrics"]["wall_ns"]["median"])
                for threshold in (1, 5):
                    _, _, code = allocbench("compare", out, base_w, "--metric", "wall_ns", "--threshold",
                                            str(threshold), ok=(0, 1))
                    alarms[(f"wall {threshold}%", case)] += code == 1
    slower = statistics.median(wall["injected"]) / statistics.median(wall["same"]) - 1
    for gate in ("instructions 1%", "wall 1%", "wall 5%"):
        same, caught = alarms[(gate, "same")], alarms[(gate, "injected")]
        line = f"    {gate:<16} false alarms {same}/{trials}, caught {caught}/{trials}"
        if gate.startswith("instructions"):
            line += f"  {verdict(same == 0 and caught == trials)}"
        print(line)
    print(f"    (the injection made the loaded runs' median time {slower * 100:+.1f}%)")


def cost(reps=5):
    _, seconds, _ = allocbench("run", "--measure", "instructions", *CI)
    print(f"11. Cost: the README's CI configuration (--measure instructions, every backend x 3 workloads, --reps 4) "
          f"(goal ≤ 60 s)\n    {seconds:.1f} s  {verdict(seconds <= 60)}")
    print(f"    valgrind's slowdown of the measured work, mimalloc: `run --reps {reps} --counting off` with and "
          f"without --measure instructions, less the same for the `empty` workload")
    one = ["--backend", "mimalloc", "--counting", "off", "--warmup", "0", "--reps", str(reps)]

    def seconds_for(workload, *mode):
        return allocbench("run", *mode, "--workload", workload, *params([w for w in WORKLOADS if w == workload]),
                          *one)[1]

    # A replay too: tests/programs/alloc_threads on one thread, 200,000 iterations, recorded here.
    trace = os.path.join(tempfile.mkdtemp(prefix="allocbench-bench-"), "program.trace")
    allocbench("record", "-o", trace, "--", os.path.join(BUILD, "tests", "alloc_threads"), "0", "200000")
    empty = {m: seconds_for("empty", *m) for m in ((), ("--measure", "instructions"))}
    for w in [*WORKLOADS, f"trace:{trace}"]:
        native = seconds_for(w) - empty[()]
        under = seconds_for(w, "--measure", "instructions") - empty[("--measure", "instructions")]
        name = "trace (alloc_threads)" if w.startswith("trace:") else w
        print(f"    {name:<21} {under / max(native, 1e-3):5.0f}x  ({native:.2f} s natively, {under:.2f} s counted)")


def agreement(wall_reps=11, scale=10):
    print(f"12. Agreement: the backends ranked by est_cycles (counted) and by median wall time ({wall_reps} reps), "
          f"with {scale} x the CI configuration's work (its phases of a few ms are mostly page faults)")
    counted_results, _, _ = counted(*params(scale=scale), "--reps", "1")
    out, _, _ = allocbench("run", *params(scale=scale), "--reps", str(wall_reps), "--format", "json")
    timed_results = json.loads(out)["results"]
    for w in WORKLOADS:
        by_cycles = sorted((r for r in counted_results if r["workload"] == w),
                           key=lambda r: r["metrics"]["est_cycles"]["median"])
        by_time = sorted((r for r in timed_results if r["workload"] == w), key=lambda r: r["metrics"]["wall_ns"]["median"])
        cycles = " < ".join(f"{r['backend']} {r['metrics']['est_cycles']['median'] / by_cycles[0]['metrics']['est_cycles']['median']:.2f}"
                            for r in by_cycles)
        times = " < ".join(f"{r['backend']} {r['metrics']['wall_ns']['median'] / by_time[0]['metrics']['wall_ns']['median']:.2f}"
                           for r in by_time)
        same = [r["backend"] for r in by_cycles] == [r["backend"] for r in by_time]
        print(f"    {w}: {'same order' if same else 'orders differ'}\n      est_cycles {cycles}\n      wall time  {times}")
