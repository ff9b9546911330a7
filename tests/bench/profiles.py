"""`make bench` item 17: programs replayed from their profile (trace-info --profile), set beside
their recording. The profile's replay runs in the system worker under the real recorder, and
trace-info reads both traces: size mix, lifetimes and live-bytes timelines side by side; the
replay's peak is its phase's, from run."""
import json
import os
import subprocess
import sys
import tempfile

from common import ALLOCBENCH, BUILD, ENV, verdict
from programs import PROGRAM_ENV, python_work


def info(trace, *args):
    out = subprocess.run([ALLOCBENCH, "trace-info", trace, "--format", "json", *args], capture_output=True, text=True,
                         env=ENV, check=True).stdout
    return json.loads(out)


def shares(histogram):
    total = sum(b["count"] for b in histogram) or 1
    return [100 * b["count"] / total for b in histogram]


# A large structure built once, then processed in rounds.
ROUNDS = """
import json, random
random.seed(7)
records = [{"id": i, "name": f"user{i}", "score": random.random(), "tags": [random.random() for _ in range(6)]}
           for i in range(20000)]
for _ in range(12):
    back = json.loads(json.dumps(records))
    back.sort(key=lambda r: r["score"])
    names = [r["name"].upper() for r in back]
    top = [dict(r, rank=k) for k, r in enumerate(back[:len(back) // 4])]
"""


def compare(label, tmp, make_trace):
    name = "".join(c if c.isalnum() else "-" for c in label)  # --workload takes a comma-separated list
    trace, profile, replay = (os.path.join(tmp, f"{name}.{ext}") for ext in ("trace", "csv", "replay.trace"))
    make_trace(trace)
    recorded = info(trace, "--profile", profile)
    # The replay makes as many operations as the program: the profile's default.
    subprocess.run([ALLOCBENCH, "record", "-o", replay, "--", os.path.join(BUILD, "allocbench-worker-system"),
                    "--workload", f"profile:{profile}", "--preloaded", "liballocbench-recorder.so"],
                   capture_output=True, env=ENV, check=True)
    replayed = info(replay)
    # Its peak is the phase's, as run reports it: the replay's recording also holds the
    # worker's own start, the profile read and the schedules drawn.
    run = json.loads(subprocess.run([ALLOCBENCH, "run", "--workload", f"profile:{profile}", "--backend", "system",
                                     "--reps", "1", "--warmup", "0", "--format", "json"], capture_output=True,
                                    env=ENV, check=True).stdout)["results"][0]
    replayed["peak_live_bytes"] = run["metrics"]["peak_live_bytes"]["median"]
    kib = os.path.getsize(profile) / 1024
    sizes = max(abs(a - b) for a, b in zip(shares(recorded["sizes"]), shares(replayed["sizes"])))
    lifetimes = max(abs(a - b) for a, b in zip(shares(recorded["lifetimes"]), shares(replayed["lifetimes"])))
    peak = replayed["peak_live_bytes"] / recorded["peak_live_bytes"] - 1
    print(f"   {label:<24} {recorded['operations']:>10,} {recorded['threads']:>7} {kib:6.0f} KiB {sizes:6.1f} pp "
          f"{lifetimes:9.1f} pp {recorded['peak_live_bytes'] / 2**20:9.2f} {replayed['peak_live_bytes'] / 2**20:9.2f} "
          f"{peak:+7.0%}  {verdict(abs(peak) <= 0.10 and sizes <= 1 and lifetimes <= 5)}")
    print(f"      live bytes, recorded {sparkline(recorded['live_curve'])}\n"
          f"      live bytes, replayed {sparkline(replayed['live_curve'])}")


def sparkline(curve):
    """The live-bytes curve (trace-info's hundredths) in 50 characters, scaled to its own peak."""
    top = max(curve) or 1
    return "".join("▁▂▃▄▅▆▇█"[min(7, max(curve[i], curve[i + 1]) * 8 // (top + 1))] for i in range(0, len(curve), 2))


def replay_against_recording():
    print("17. Profiles: a recording, its profile (trace-info --profile) replayed under the recorder, side by side "
          "(goals: peak live within 10%, size mix within 1 pp, lifetime shares within 5 pp)\n"
          f"   {'program':<24} {'operations':>10} {'threads':>7} {'profile':>10} {'sizes Δmax':>9} "
          f"{'lifetimes Δmax':>12} {'peak MiB':>9} {'replayed':>9} {'change':>7}")
    make_trace = os.path.join(BUILD, "tests", "make_trace")
    alloc_threads = os.path.join(BUILD, "tests", "alloc_threads")

    def record(*command, env=ENV):
        return lambda trace: subprocess.run([ALLOCBENCH, "record", "-o", trace, "--", *command], capture_output=True,
                                            env=env, check=True)

    with tempfile.TemporaryDirectory(prefix="allocbench-bench-") as tmp:
        script = os.path.join(tmp, "work.py")
        with open(script, "w") as f:
            f.write(python_work(rows=6000, rounds=2))
        churn = [os.path.join(BUILD, "allocbench-worker-system"), "--workload", "small-object-churn", "--param",
                 "ops=400000", "--param", "window=5000", "--preloaded", "liballocbench-recorder.so"]
        compare("window churn, 1 thread", tmp, record(*churn))
        compare("window churn, 2 threads", tmp, record(*churn, "--threads", "2"))
        compare("random walk (make_trace)", tmp, lambda t: subprocess.run([make_trace, t, "400000", "4"], check=True))
        compare("alloc_threads 4 20000", tmp, record(alloc_threads, "4", "20000"))
        compare("CPython json + sort", tmp, record(sys.executable, script, env=PROGRAM_ENV))
        rounds = os.path.join(tmp, "rounds.py")
        with open(rounds, "w") as f:
            f.write(ROUNDS)
        compare("CPython, 12 rounds", tmp, record(sys.executable, rounds, env=PROGRAM_ENV))
    print()
