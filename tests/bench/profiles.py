"""`make bench` item 17: programs replayed from their profile (trace-info --profile), set beside
their recording. The profile's replay runs in the system worker under the real recorder, and
trace-info reads both traces: size mix, lifetimes and peak live bytes side by side."""
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


def compare(label, tmp, make_trace):
    trace, profile, replay = (os.path.join(tmp, f"{label}.{ext}") for ext in ("trace", "csv", "replay.trace"))
    make_trace(trace)
    recorded = info(trace, "--profile", profile)
    subprocess.run([ALLOCBENCH, "record", "-o", replay, "--", os.path.join(BUILD, "allocbench-worker-system"),
                    "--workload", f"profile:{profile}", "--param", f"ops={recorded['operations']}",
                    "--preloaded", "liballocbench-recorder.so"], capture_output=True, env=ENV, check=True)
    replayed = info(replay)
    sizes = max(abs(a - b) for a, b in zip(shares(recorded["sizes"]), shares(replayed["sizes"])))
    lifetimes = max(abs(a - b) for a, b in zip(shares(recorded["lifetimes"]), shares(replayed["lifetimes"])))
    peak = replayed["peak_live_bytes"] / recorded["peak_live_bytes"] - 1
    print(f"   {label:<22} {recorded['operations']:>10,} {recorded['threads']:>7} {sizes:9.1f} pp {lifetimes:9.1f} pp "
          f"{recorded['peak_live_bytes'] / 2**20:9.2f} {replayed['peak_live_bytes'] / 2**20:9.2f} {peak:+7.0%}  "
          f"{verdict(abs(peak) <= 0.10)}")


def replay_against_recording():
    print("17. Profiles: a recording, its profile (trace-info --profile) replayed under the recorder, side by side "
          "(goal: peak live within 10%)\n"
          f"   {'program':<22} {'operations':>10} {'threads':>7} {'sizes Δmax':>12} {'lifetimes Δmax':>12} "
          f"{'peak MiB':>9} {'replayed':>9} {'change':>7}")
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
    print()
