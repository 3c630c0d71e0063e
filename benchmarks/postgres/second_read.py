#!/usr/bin/env python3
"""What hashing in-stream saves: a ~1 GB dump, with the old and the new `runbook` in the same run.

Before (c627cd7), `postgres.dump` renamed NAME.partial to NAME as soon as pg_dump exited, then
read the whole file again to hash it, and only then recorded it in manifest.json. Now the runner
hashes pg_dump's output while it streams to disk, so that second read is gone, and the rename and
the record happen back to back.

Measured here, on one throwaway PostgreSQL 15 cluster, in alternating rounds:
  1. pg_dump -Fp of a pgbench database straight to a file (the floor);
  2. `runbook run backup-database --param format=plain` with the OLD binary;
  3. the same with the NEW binary;
  4. one full read + sha256 of the 1 GB artifact, warm (just written) and cold (evicted from the
     page cache with posix_fadvise DONTNEED, so other processes' caches are left alone): the cost
     of the read the new code no longer does.
plus the peak RSS of both runbook processes (/usr/bin/time -v): the new one reads the dump through
a pipe, in one 1 MiB buffer, so it must stay flat.

Plain SQL (uncompressed) so that the file is ~1 GB from a database of about that size; for gzip the
old code read the file twice after pg_dump (gzip -dc, then sha256) and the new one once.

Needs root (initdb runs as `postgres`), PostgreSQL 15, GNU time, and two runbook binaries built
the same way (both debug here: `cp .build/debug/runbook /tmp/runbook-old` at c627cd7, then build).

    python3 benchmarks/postgres/second_read.py --old /tmp/runbook-old --new .build/debug/runbook [--scale 105] [--rounds 3]
"""
import argparse
import hashlib
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import BIN, REPO, Cluster, flush_writeback, median, timed  # noqa: E402


def read_and_hash(path):
    """One full read + sha256 in 1 MiB chunks, as the old code did after pg_dump exited."""
    h = hashlib.sha256()
    start = time.monotonic()
    with open(path, "rb", buffering=0) as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return time.monotonic() - start


def evict(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def runbook(binary, work, backups, env):
    argv = ["/usr/bin/time", "-v", binary, "run", "backup-database", "--profile", os.path.join(work, "bench.yaml"), "--yes",
            "--state-dir", os.path.join(work, "state"), "--runbooks-dir", os.path.join(REPO, "runbooks"),
            "--param", "database=bench", "--param", f"backup_dir={backups}", "--param", "format=plain"]
    flush_writeback()
    t, r = timed(argv, env)
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr)
    artifact = next(os.path.join(backups, n) for n in os.listdir(backups) if n.endswith(".sql"))
    return t, int(m.group(1)) / 1024 if m else float("nan"), artifact


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", required=True, help="runbook built at c627cd7 (hashes by reading the file back)")
    ap.add_argument("--new", required=True, help="runbook that hashes in-stream")
    ap.add_argument("--scale", type=int, default=105, help="pgbench scale; 105 gives a ~1 GB plain dump")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    cluster = Cluster()
    work = tempfile.mkdtemp(prefix="runbook-second-read-")
    try:
        with open(os.path.join(work, "bench.yaml"), "w") as f:
            f.write(f"profile: bench\ntargets:\n  db:\n    postgres: {{via: local, host: {cluster.root}, port: {cluster.port}, "
                    f"user: aqstream, bin_dir: {BIN}}}\n")
        env = dict(cluster.env)
        cluster.psql("postgres", "CREATE DATABASE bench")
        t, _ = timed(["pgbench", "-i", "-q", "-s", str(args.scale), "-d", "bench"], env)
        print(f"pgbench -i -s {args.scale}: {cluster.size('bench') / 1e9:.2f} GB in {t:.0f}s", flush=True)

        times = {"pg_dump": [], "old": [], "new": []}
        rss = {"old": [], "new": []}
        warm, cold, size = [], [], 0
        for i in range(args.rounds):
            order = ["pg_dump", "old", "new"] if i % 2 == 0 else ["new", "old", "pg_dump"]
            for side in order:
                if side == "pg_dump":
                    out = os.path.join(work, "direct.sql")
                    flush_writeback()
                    with open(out, "wb") as f:
                        times[side].append(timed([f"{BIN}/pg_dump", "-d", "bench", "-Fp"], env, stdout=f)[0])
                    os.unlink(out)
                    continue
                backups = os.path.join(work, f"backups-{side}-{i}")
                t, peak, artifact = runbook(getattr(args, side), work, backups, env)
                times[side].append(t)
                rss[side].append(peak)
                if side == "new":
                    size = os.path.getsize(artifact)
                    warm.append(read_and_hash(artifact))
                    evict(artifact)
                    cold.append(read_and_hash(artifact))
                shutil.rmtree(backups, ignore_errors=True)
            print(f"round {i + 1}: pg_dump -Fp {times['pg_dump'][-1]:.2f}s, old runbook {times['old'][-1]:.2f}s "
                  f"(RSS {rss['old'][-1]:.1f} MB), new runbook {times['new'][-1]:.2f}s (RSS {rss['new'][-1]:.1f} MB), "
                  f"read+sha256 of {size / 1e9:.2f} GB: warm {warm[-1]:.2f}s, cold {cold[-1]:.2f}s", flush=True)

        best = {k: min(v) for k, v in times.items()}
        print(f"\nartifact: {size / 1e9:.2f} GB of plain SQL; best of {args.rounds} rounds")
        print(f"pg_dump -Fp alone:         {best['pg_dump']:.2f}s")
        print(f"old runbook (read back):   {best['old']:.2f}s  ({best['old'] / best['pg_dump']:.3f}x pg_dump), peak RSS {max(rss['old']):.1f} MB")
        print(f"new runbook (in-stream):   {best['new']:.2f}s  ({best['new'] / best['pg_dump']:.3f}x pg_dump), peak RSS {max(rss['new']):.1f} MB")
        print(f"old - new:                 {best['old'] - best['new']:+.2f}s")
        print(f"one read+sha256 of the artifact: warm {median(warm):.2f}s, cold {median(cold):.2f}s (median)")
        print(f"window in which a kill -9 left a complete-looking, unrecorded file before: at least that read; now: two renames")
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
