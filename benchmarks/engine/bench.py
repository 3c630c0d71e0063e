#!/usr/bin/env python3
"""Engine overhead of `runbook run`, against bash doing the same work, in the same run.

Measures, with a release build:
  1. overhead per step that spawns `true` (median; target < 5 ms): the median time
     from one step's start to the next in a 50-step runbook of `shell.run: true`,
     minus the median time bash takes for one `/bin/sh -c true`;
  2. a 200-step runbook of `true` (target < 2 s), against a bash script running
     `/bin/sh -c true` 200 times.

Each is measured twice: with the state directory (journal + audit trail, fsynced
after every event) on the disk, and on tmpfs (/dev/shm), which separates the
engine's own work from the cost of fsync on this machine's disk. The fsync
latency of the disk is measured too and printed.

Usage: benchmarks/engine/bench.py [--repeat N]   (RUNBOOK_BIN=path to skip the build)
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def build():
    if os.environ.get("RUNBOOK_BIN"):
        return os.environ["RUNBOOK_BIN"]
    scratch = os.path.join(ROOT, ".build-release")
    subprocess.run(["swift", "build", "-c", "release", "--product", "runbook", "--scratch-path", scratch],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    bindir = subprocess.run(["swift", "build", "-c", "release", "--scratch-path", scratch, "--show-bin-path"],
                            cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    return os.path.join(bindir, "runbook")


def write_runbook(directory, name, steps):
    lines = [f"runbook: {name}", "summary: benchmark", "steps:"]
    for i in range(steps):
        lines += [f"  - id: s{i}", "    action: shell.run", '    with: {command: "true"}']
    with open(os.path.join(directory, name + ".yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")


def write_bash(path, steps):
    with open(path, "w") as f:
        f.write("#!/bin/bash\nset -e\n" + "/bin/sh -c true\n" * steps)
    os.chmod(path, 0o755)


def timed(argv, **kw):
    start = time.perf_counter()
    result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{argv} failed ({result.returncode}): {result.stderr.decode()[-500:]}")
    return elapsed, result.stdout


def run_runbook(binary, runbooks, state, name, fmt="text"):
    shutil.rmtree(state, ignore_errors=True)
    return timed([binary, "run", name, "--runbooks-dir", runbooks, "--state-dir", state, "--format", fmt],
                 env={**os.environ, "NO_COLOR": "1"})


def step_intervals(stdout):
    """Seconds from each step.start to the next (the last step to run.end)."""
    from datetime import datetime
    times = []
    for line in stdout.decode().splitlines():
        event = json.loads(line)
        if event["event"] in ("step.start", "run.end"):
            times.append(datetime.fromisoformat(event["time"].replace("Z", "+00:00")).timestamp())
    return [b - a for a, b in zip(times, times[1:])]


def fsync_latency(directory, n=50):
    path = os.path.join(directory, "fsync.probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    samples = []
    for _ in range(n):
        os.write(fd, b"x" * 300 + b"\n")
        t = time.perf_counter()
        os.fsync(fd)
        samples.append(time.perf_counter() - t)
    os.close(fd)
    os.unlink(path)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    binary = build()
    work = tempfile.mkdtemp(prefix="rb-bench-")
    runbooks = os.path.join(work, "runbooks")
    os.makedirs(runbooks)
    write_runbook(runbooks, "steps1", 1)
    write_runbook(runbooks, "steps50", 50)
    write_runbook(runbooks, "steps200", 200)
    write_bash(os.path.join(work, "bash200.sh"), 200)
    write_bash(os.path.join(work, "bash0.sh"), 0)

    places = [("disk", os.path.join(work, "state"))]
    if os.path.isdir("/dev/shm"):
        places.append(("tmpfs", tempfile.mkdtemp(prefix="rb-bench-state-", dir="/dev/shm")))

    print(f"binary: {binary}")
    print(f"fsync latency (median of 50): disk {fsync_latency(work) * 1000:.2f} ms"
          + (f", tmpfs {fsync_latency(places[1][1]) * 1000:.3f} ms" if len(places) > 1 else ""))

    # Baseline: bash, per /bin/sh -c true, in this same run.
    bash_per_step, bash_total = [], []
    for _ in range(args.repeat):
        t200, _ = timed([os.path.join(work, "bash200.sh")])
        t0, _ = timed([os.path.join(work, "bash0.sh")])
        bash_total.append(t200)
        bash_per_step.append((t200 - t0) / 200)
    bash_step = statistics.median(bash_per_step)
    bash200 = statistics.median(bash_total)
    print(f"bash: {bash_step * 1000:.2f} ms per /bin/sh -c true (median), 200 steps in {bash200:.3f} s")
    print()
    print("Each step of runbook fsyncs 4 times: 3 audit events (step.start, process, step.end) and the")
    print("journal line of its end. 'mean' is (200-step run - 1-step run) / 199.")
    print()
    print(f"{'state dir':<10} {'step (median)':>14} {'overhead':>10} {'ratio':>7}   {'mean':>9}   {'200 steps':>10} {'ratio':>7}")
    for label, state in places:
        intervals = []
        for _ in range(args.repeat):
            _, out = run_runbook(binary, runbooks, os.path.join(state, "s"), "steps50", fmt="json")
            intervals += step_intervals(out)[5:]  # skip warm-up steps
        step = statistics.median(intervals)
        overhead = step - bash_step
        totals = [run_runbook(binary, runbooks, os.path.join(state, "s"), "steps200")[0] for _ in range(args.repeat)]
        singles = [run_runbook(binary, runbooks, os.path.join(state, "s"), "steps1")[0] for _ in range(args.repeat)]
        total = statistics.median(totals)
        mean = (total - statistics.median(singles)) / 199
        print(f"{label:<10} {step * 1000:>11.2f} ms {overhead * 1000:>7.2f} ms {step / bash_step:>6.1f}x   "
              f"{mean * 1000:>6.2f} ms   {total:>8.3f} s {total / bash200:>6.1f}x")
        verdict = []
        verdict.append(("overhead < 5 ms", overhead < 0.005))
        verdict.append(("200 steps < 2 s", total < 2.0))
        print("           " + ", ".join(f"{name}: {'yes' if good else 'NO'}" for name, good in verdict))
        shutil.rmtree(state, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
