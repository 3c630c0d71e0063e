#!/usr/bin/env python3
"""PostgreSQL benchmarks for runbook, each against a baseline measured in the same run.

1. Overhead: `runbook run backup-database` vs the same `pg_dump -Fc` run directly (the seed's
   command), on a pgbench database of about 1 GB. Target (issue 14, item 8): the ratio of the
   means <= 1.08 (wall) on 2 cores, with the exact row counts on (they are taken in pg_dump's
   exported snapshot and cost one count(*) scan beside the dump); and the engine's fixed cost
   per run, measured on a 1,000-row database, <= 50 ms.
   Both sides run the same binaries from BIN: the baseline by path, runbook through the
   profile's `bin_dir`. Neither goes through Debian's Perl pg_wrapper (about 30 ms a call).
2. Memory: peak RSS of the runbook process while it dumps that database (/usr/bin/time -v).
   Target: < 64 MB; the dump streams from pg_dump to disk and never passes through runbook.
3. Parallelism: back up and restore 3 databases with the engine's parallelism (for_each
   parallel: 3, pg_restore -j 2) vs the seed's sequential loops. Target: >= 1.5x for restore.
   Also reports the cores each side keeps busy: the seed's loop already runs pg_restore and its
   backend side by side, so nproc / (its cores) is the most any schedule can gain here.

Needs: root (initdb runs as the `postgres` user via runuser), PostgreSQL 15 server binaries,
GNU time, and a release build as README builds it: `swift build -c release --static-swift-stdlib` (or pass --binary).

    python3 benchmarks/postgres/bench.py [--only all|overhead|parallel] [--scale 65] [--small-scale 15]
                                         [--rounds 5] [--parallel-rounds 5]
"""
import argparse
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

BIN = "/usr/lib/postgresql/15/bin"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def sh(argv, env=None, stdout=None, stdin=None, check=True):
    r = subprocess.run(argv, env=env, stdout=stdout if stdout is not None else subprocess.PIPE,
                       stdin=stdin, stderr=subprocess.PIPE, text=stdout is None)
    if check and r.returncode != 0:
        err = r.stderr if isinstance(r.stderr, str) else r.stderr.decode(errors="replace")
        sys.exit(f"failed ({r.returncode}): {' '.join(argv)}\n{err}")
    return r


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="runbook-bench-pg-")
        shutil.chown(self.root, "postgres")
        os.chmod(self.root, 0o755)
        self.data = os.path.join(self.root, "data")
        self.port = free_port()
        sh(["runuser", "-u", "postgres", "--", f"{BIN}/initdb", "-D", self.data, "-U", "aqstream",
            "--auth-local=trust", "--auth-host=reject", "-E", "UTF8", "--locale=C.UTF-8"])
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write(f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = '{self.root}'\n"
                    "shared_buffers = 256MB\nmaintenance_work_mem = 256MB\nmax_wal_size = 4GB\n")
        sh(["runuser", "-u", "postgres", "--", f"{BIN}/pg_ctl", "-D", self.data, "-l",
            os.path.join(self.root, "server.log"), "-w", "start"])
        self.env = dict(os.environ, PGHOST=self.root, PGPORT=str(self.port), PGUSER="aqstream")
        self.env.pop("PGPASSWORD", None)

    def psql(self, db, sql):
        return sh(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql], env=self.env).stdout.strip()

    def size(self, db):
        return int(self.psql("postgres", f"SELECT pg_database_size('{db}')"))

    def stop(self):
        subprocess.run(["runuser", "-u", "postgres", "--", f"{BIN}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.root, ignore_errors=True)


def timed(argv, env, stdout=None, stdin=None):
    start = time.monotonic()
    r = sh(argv, env=env, stdout=stdout, stdin=stdin)
    return time.monotonic() - start, r


def flush_writeback():
    """Equal footing for each measurement: flush dirty pages so one run's writeback is not billed to the next."""
    os.sync()


def evict_page_cache():
    """Drops clean pages too (root only), so the next process loads its binary from disk."""
    flush_writeback()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3")


def median(values):
    return sorted(values)[len(values) // 2]


def ratio_of_means_ci(numerator, denominator, draws=2000):
    """95% bootstrap interval of mean(numerator) / mean(denominator), resampling whole rounds.

    One round on this kind of shared VM can be 10% off, which is more than the margins being
    judged; the interval says how far the estimate can be trusted."""
    rng = random.Random(1)
    pairs = list(zip(numerator, denominator))
    ratios = []
    for _ in range(draws):
        sample = [rng.choice(pairs) for _ in pairs]
        ratios.append(sum(a for a, _ in sample) / sum(b for _, b in sample))
    ratios.sort()
    return ratios[int(0.025 * draws)], ratios[int(0.975 * draws) - 1]


def busy_cores(fn):
    """Runs fn; returns (wall seconds, average cores busy machine-wide), from /proc/stat.

    The seed's loop is one pg_restore feeding one backend at a time, so the cores it keeps busy
    bound what any parallel schedule can gain on this machine: nproc / seed cores."""
    def sample():
        with open("/proc/stat") as f:
            ticks = [int(x) for x in f.readline().split()[1:]]
        return sum(ticks), ticks[3] + ticks[4]  # idle + iowait
    total0, idle0 = sample()
    start = time.monotonic()
    fn()
    wall = time.monotonic() - start
    total1, idle1 = sample()
    total = max(total1 - total0, 1)
    return wall, (total - (idle1 - idle0)) / total * os.cpu_count()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(REPO, ".build/release/runbook"))
    ap.add_argument("--scale", type=int, default=65, help="pgbench scale of the ~1 GB database (65 = 6.5M accounts)")
    ap.add_argument("--parallel-rounds", type=int, default=5,
                    help="rounds of the 3-database comparison, alternating which side goes first; best of each")
    ap.add_argument("--small-scale", type=int, default=15, help="pgbench scale of each of the 3 databases")
    ap.add_argument("--only", choices=["all", "overhead", "parallel"], default="all",
                    help="overhead: parts 1 and 2 on the ~1 GB database; parallel: part 3 only")
    ap.add_argument("--rounds", type=int, default=5,
                    help="alternating rounds of baseline and runbook; the best of each is compared, and the median of the per-round ratios shown")
    args = ap.parse_args()
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"{args.binary} is missing: run `swift build -c release --static-swift-stdlib` first")
    if os.geteuid() != 0:
        sys.exit("run as root: initdb runs as the postgres user through runuser")

    cluster = Cluster()
    work = tempfile.mkdtemp(prefix="runbook-bench-")
    try:
        results = []
        if args.only in ("all", "overhead"):
            results += overhead_and_memory(args, cluster, work)
        if args.only in ("all", "parallel"):
            results += parallelism(args, cluster, work)
        print("\n" + "\n".join(results))
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)


def runbook_argv(args, work, name, params):
    argv = [args.binary, "run", name, "--profile", os.path.join(work, "bench.yaml"), "--yes",
            "--state-dir", os.path.join(work, "state"), "--runbooks-dir", os.path.join(REPO, "runbooks")]
    for k, v in params.items():
        argv += ["--param", f"{k}={v}"]
    return argv


def write_profile(cluster, work):
    path = os.path.join(work, "bench.yaml")
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.write(f"profile: bench\ntargets:\n  db:\n    postgres: {{via: local, host: {cluster.root}, port: {cluster.port}, "
                    f"user: aqstream, bin_dir: {BIN}}}\n")


def overhead_and_memory(args, cluster, work):
    write_profile(cluster, work)
    env = dict(cluster.env)
    results = []

    # --- 1 and 2: overhead and memory on ~1 GB -------------------------------------------------
    cluster.psql("postgres", "CREATE DATABASE bench")
    t, _ = timed(["pgbench", "-i", "-q", "-s", str(args.scale), "-d", "bench"], env)
    size_gb = cluster.size("bench") / 1e9
    print(f"pgbench -i -s {args.scale}: {size_gb:.2f} GB in {t:.0f}s", flush=True)

    direct_times, runbook_times, rss = [], [], []

    def direct(i):
        out = os.path.join(work, f"direct-{i}.dump")
        flush_writeback()
        with open(out, "wb") as f:
            t, _ = timed([f"{BIN}/pg_dump", "-d", "bench", "-Fc"], env, stdout=f)
        direct_times.append(t)
        os.unlink(out)

    def runbook(i):
        backups = os.path.join(work, f"backups-{i}")
        flush_writeback()
        t, r = timed(["/usr/bin/time", "-v"] + runbook_argv(args, work, "backup-database",
                                                            {"database": "bench", "backup_dir": backups, "format": "custom"}), env)
        runbook_times.append(t)
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr)
        rss.append(int(m.group(1)) / 1024 if m else float("nan"))
        shutil.rmtree(backups, ignore_errors=True)

    for i in range(args.rounds):
        # Alternate which side goes first, so that drift on a shared machine falls on both.
        for side in ((direct, runbook) if i % 2 == 0 else (runbook, direct)):
            side(i)
        print(f"round {i + 1}: pg_dump -Fc {direct_times[-1]:.2f}s, runbook run backup-database {runbook_times[-1]:.2f}s, "
              f"peak RSS {rss[-1]:.1f} MB", flush=True)
    ratio = min(runbook_times) / min(direct_times)
    paired = [r / d for r, d in zip(runbook_times, direct_times)]
    mean_ratio = sum(runbook_times) / sum(direct_times)
    results.append(f"overhead: runbook run backup-database vs pg_dump -Fc on {size_gb:.2f} GB, {args.rounds} alternating rounds: "
                   f"ratio of the means {mean_ratio:.3f} (target <= 1.08) {'OK' if mean_ratio <= 1.08 else 'MISSED'} "
                   "(95%% interval %.3f-%.3f); " % ratio_of_means_ci(runbook_times, direct_times) +
                   f"best of {args.rounds} {min(runbook_times):.2f}s vs {min(direct_times):.2f}s = {ratio:.3f}; "
                   f"median of per-round ratios {median(paired):.3f}")
    results.append(f"memory: peak RSS of runbook while dumping {size_gb:.2f} GB: {max(rss):.1f} MB (target < 64 MB) "
                   f"{'OK' if max(rss) < 64 else 'MISSED'}")
    cluster.psql("postgres", "DROP DATABASE bench")

    # What the engine itself adds, apart from the row count: the same comparison on a database
    # whose dump takes milliseconds, where the difference is start-up, wait-ready, the snapshot
    # session, fsync, sha256 and the manifest.
    cluster.psql("postgres", "CREATE DATABASE tiny")
    cluster.psql("tiny", "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'x' FROM generate_series(1, 1000) g")
    tiny_direct, tiny_runbook = [], []
    for i in range(20):
        with open(os.path.join(work, "tiny.dump"), "wb") as f:
            tiny_direct.append(timed([f"{BIN}/pg_dump", "-d", "tiny", "-Fc"], env, stdout=f)[0])
        backups = os.path.join(work, f"tiny-{i}")
        tiny_runbook.append(timed(runbook_argv(args, work, "backup-database",
                                               {"database": "tiny", "backup_dir": backups, "format": "custom"}), env)[0])
        shutil.rmtree(backups, ignore_errors=True)
    fixed = median(tiny_runbook) - median(tiny_direct)
    results.append(f"fixed cost of the engine (1,000-row database, median of 20): runbook {median(tiny_runbook) * 1000:.0f} ms "
                   f"vs pg_dump {median(tiny_direct) * 1000:.0f} ms: +{fixed * 1000:.0f} ms (target <= 50 ms) "
                   f"{'OK' if fixed <= 0.050 else 'MISSED'}, "
                   f"{fixed / min(direct_times) * 100:.1f}% of the 1 GB dump; the rest of the overhead above is the row count")
    cluster.psql("postgres", "DROP DATABASE tiny")

    # A nightly cron run starts with neither binary in the page cache: what loading costs then.
    cold_runbook, cold_pg_dump = [], []
    for _ in range(7):
        evict_page_cache()
        cold_runbook.append(timed([args.binary, "--version"], env)[0])
        evict_page_cache()
        cold_pg_dump.append(timed([f"{BIN}/pg_dump", "--version"], env)[0])
    results.append(f"cold start (page cache dropped, median of 7): runbook --version {median(cold_runbook) * 1000:.0f} ms, "
                   f"pg_dump --version {median(cold_pg_dump) * 1000:.0f} ms")
    return results


def parallelism(args, cluster, work):
    write_profile(cluster, work)
    env = dict(cluster.env)
    results = []
    dbs = ["shared_services_db", "user_service_db", "payment_service_db"]
    for db in dbs:
        cluster.psql("postgres", f"CREATE DATABASE {db}")
        sh(["pgbench", "-i", "-q", "-s", str(args.small_scale), "-d", db], env=env)
    total_gb = sum(cluster.size(db) for db in dbs) / 1e9

    def recreate():
        for db in dbs:
            cluster.psql("postgres", f"DROP DATABASE {db} WITH (FORCE)")
            cluster.psql("postgres", f"CREATE DATABASE {db} TEMPLATE template0")
        # Otherwise the previous restore's dirty shared buffers are written during the next one.
        cluster.psql("postgres", "CHECKPOINT")
        flush_writeback()

    seed_backups, rb_backups, seed_restores, rb_restores, seed_cores, rb_cores = [], [], [], [], [], []
    for i in range(args.parallel_rounds):
        seed_dir = os.path.join(work, f"seed-{i}")
        os.makedirs(seed_dir)
        flush_writeback()
        start = time.monotonic()
        for db in dbs:  # the seed's backup.sh loop
            with open(os.path.join(seed_dir, f"{db}.dump"), "wb") as f:
                sh([f"{BIN}/pg_dump", "-Fc", "-d", db], env=env, stdout=f)
        seed_backups.append(time.monotonic() - start)

        backups = os.path.join(work, f"backups-{i}")
        flush_writeback()
        t, _ = timed(runbook_argv(args, work, "backup", {"databases": ",".join(dbs), "backup_dir": backups,
                                                        "format": "custom", "media": "false"}), env)
        rb_backups.append(t)

        def seed_restore():
            for db in dbs:  # the seed's disaster-recovery loop: pg_restore -d $db < $db-latest.dump
                with open(os.path.join(seed_dir, f"{db}.dump"), "rb") as f:
                    sh([f"{BIN}/pg_restore", "-d", db], env=env, stdin=f)

        def runbook_restore():
            sh(runbook_argv(args, work, os.path.join(REPO, "benchmarks/postgres/restore-all.yaml"),
                            {"databases": ",".join(dbs), "backup_dir": backups, "jobs": "2"}), env=env)

        # Alternate which side goes first, so that drift on a shared machine falls on both.
        for side in (["seed", "runbook"] if i % 2 == 0 else ["runbook", "seed"]):
            recreate()
            if side == "seed":
                t, cores = busy_cores(seed_restore)
                seed_restores.append(t)
                seed_cores.append(cores)
            else:
                t, cores = busy_cores(runbook_restore)
                rb_restores.append(t)
                rb_cores.append(cores)
        print(f"round {i + 1}: backup seed {seed_backups[-1]:.2f}s runbook {rb_backups[-1]:.2f}s; "
              f"restore seed {seed_restores[-1]:.2f}s ({seed_cores[-1]:.2f} cores busy) "
              f"runbook {rb_restores[-1]:.2f}s ({rb_cores[-1]:.2f} cores busy)", flush=True)
    seed_backup, rb_backup = min(seed_backups), min(rb_backups)
    seed_restore, rb_restore = min(seed_restores), min(rb_restores)
    backup_speedup = seed_backup / rb_backup
    restore_speedup = seed_restore / rb_restore
    results.append(f"parallel backup of 3 databases ({total_gb:.2f} GB): runbook run backup {rb_backup:.2f}s vs seed loop "
                   f"{seed_backup:.2f}s: speedup {backup_speedup:.2f}x")
    paired = [s / r for s, r in zip(seed_restores, rb_restores)]
    seed_busy = median(seed_cores)
    results.append(f"parallel restore of 3 databases: runbook (for_each parallel 3, pg_restore -j 2) {rb_restore:.2f}s vs seed loop "
                   f"{seed_restore:.2f}s (best of {args.parallel_rounds}): speedup {restore_speedup:.2f}x (target >= 1.5x) "
                   f"{'OK' if restore_speedup >= 1.5 else 'MISSED'}; median of per-round speedups {median(paired):.2f}x")
    results.append(f"cores busy (median): seed loop {seed_busy:.2f}, runbook {median(rb_cores):.2f} of "
                   f"{os.cpu_count()}; ceiling for any parallel schedule here: {os.cpu_count() / seed_busy:.2f}x")
    return results


if __name__ == "__main__":
    main()
