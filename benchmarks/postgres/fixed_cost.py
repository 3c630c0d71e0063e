#!/usr/bin/env python3
"""Where the engine's fixed cost per backup goes, phase by phase, for one or more runbook binaries.

Runs `runbook run backup-database` on a 1,000-row database (as bench.py's fixed-cost part does),
alternating the binaries run by run, and splits each run's wall time by its own audit trail:

  start-up     process start -> `run.start` (argument parsing, loading runbook and profile,
               run lock, journal, first audit line)
  wait-ready   `run.start` -> wait-ready's `step.end`
  dump extra   the dump step's duration minus pg_dump's own (its `process` event): the snapshot
               session's start-up, the orphan sweep and claim, fsync, manifest
  pg_dump      pg_dump's `process` duration
  finish       dump `step.end` -> process exit (run.end, journal, audit, exit)

Each phase is a median over the runs; on a shared machine the medians of the same binary still
move together, so compare binaries measured in the same invocation.

    python3 benchmarks/postgres/fixed_cost.py --binary OLD --binary NEW [--runs 20]
"""
import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (Cluster, runbook_argv, write_profile)


def parse_time(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def one_run(binary, work, cluster, i):
    args = argparse.Namespace(binary=binary)
    backups = os.path.join(work, f"tiny-{i}")
    audit = os.path.join(work, "state", "audit.jsonl")
    seen = os.path.getsize(audit) if os.path.exists(audit) else 0
    started = time.time()
    bench.sh(bench.runbook_argv(args, work, "backup-database", {"database": "tiny", "backup_dir": backups, "format": "custom"}),
             env=cluster.env)
    ended = time.time()
    shutil.rmtree(backups, ignore_errors=True)
    with open(audit) as f:
        f.seek(seen)
        events = [json.loads(line) for line in f if line.strip()]
    at = {}
    pg_dump = None
    for e in events:
        key = (e["event"], e.get("step"))
        at.setdefault(key, (parse_time(e["time"]), e))
        if e["event"] == "process" and e.get("argv", [""])[0].endswith("pg_dump"):
            pg_dump = e["duration"]
    run_start = at[("run.start", None)][0]
    wait_end = at[("step.end", "wait-ready")][0]
    dump_end, dump_event = at[("step.end", "dump")]
    return {
        "total": ended - started,
        "start-up": run_start - started,
        "wait-ready": wait_end - run_start,
        "dump extra": dump_event["duration"] - pg_dump,
        "pg_dump": pg_dump,
        "finish": ended - dump_end,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", action="append", required=True, help="a runbook binary; give it twice or more to compare")
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: initdb runs as the postgres user through runuser")
    cluster = bench.Cluster()
    work = tempfile.mkdtemp(prefix="runbook-fixed-")
    try:
        bench.write_profile(cluster, work)
        cluster.psql("postgres", "CREATE DATABASE tiny")
        cluster.psql("tiny", "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'x' FROM generate_series(1, 1000) g")
        phases = {b: [] for b in args.binary}
        one_run(args.binary[0], work, cluster, "warm")
        for i in range(args.runs):
            for b in args.binary if i % 2 == 0 else list(reversed(args.binary)):
                phases[b].append(one_run(b, work, cluster, i))
        names = ["total", "start-up", "wait-ready", "dump extra", "pg_dump", "finish"]
        print(f"median of {args.runs} runs each, ms (load at the end: {os.getloadavg()[0]:.1f})")
        print("binary".ljust(40) + "".join(n.rjust(12) for n in names))
        for b in args.binary:
            print(b[-40:].ljust(40) + "".join(f"{statistics.median(r[n] for r in phases[b]) * 1000:12.1f}" for n in names))
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
