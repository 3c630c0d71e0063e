#!/usr/bin/env python3
"""RPO with archive_timeout, and PITR recovery time, on a real PostgreSQL 15 cluster.

What it measures (all in one run, on one throwaway cluster):

RPO: a writer commits one row (with clock_timestamp()) every 100 ms; the postmaster is
killed with SIGKILL at a random moment; the server is then recovered from the base backup
and the WAL *archive only* (`runbook run pitr --param target_latest=true`, the case where
the server's disk is lost, so WAL that was not archived yet is gone). The loss is the crash
time minus the newest surviving row's time. Measured with archive_timeout=5s, and with
archive_timeout off as the baseline (a segment is then archived only when 16 MB are full).

Recovery time: wall time of `runbook run pitr` (choose, checks, stop, move aside, unpack,
settings, recovery, promotion, verification), its `recover` step alone, and as the
baseline the same restore done by hand with the commands of ENVIRONMENT.md (stop, mv,
untar, settings, recovery.signal, pg_ctl start, poll until promoted), in the same run.

Needs: root (initdb runs as the unprivileged user runbook-pg), PostgreSQL 15 in
/usr/lib/postgresql/15/bin, a built runbook binary (swift build). Usage:
    python3 benchmarks/pitr/rpo_and_recovery.py [--trials 3] [--runbook .build/debug/runbook]
"""
import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BIN = "/usr/lib/postgresql/15/bin"
USER = "runbook-pg"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def sh(argv, check=True, **kw):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd="/", **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({r.returncode}): {r.stderr[-2000:]}")
    return r.stdout


def as_user(argv, check=True):
    return sh(["runuser", "-u", USER, "--"] + argv, check=check)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Cluster:
    def __init__(self):
        if subprocess.run(["id", USER], capture_output=True).returncode != 0:
            sh(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER])
        self.root = tempfile.mkdtemp(prefix="runbook-pitr-bench-")
        os.chmod(self.root, 0o755)
        sh(["chown", USER, self.root])
        self.data = self.root + "/data"
        self.sock = self.root + "/sock"
        self.archive = self.root + "/wal_archive"
        self.backups = self.root + "/backups"
        self.state = self.root + "/state"
        self.log = self.data + ".server.log"
        self.port = free_port()
        as_user(["mkdir", "-m", "0700", self.sock])
        as_user([BIN + "/initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"])
        with open(self.data + "/postgresql.conf", "a") as f:
            f.write(f"\nlisten_addresses = ''\nport = {self.port}\nunix_socket_directories = '{self.sock}'\n")
        self.start()
        self.profile = self.root + "/profile.yaml"
        with open(self.profile, "w") as f:
            f.write(f"""profile: pitr-bench
targets:
  db:
    postgres:
      via: local
      host: {self.sock}
      port: {self.port}
      user: postgres
      data_dir: {self.data}
      bin_dir: {BIN}
""")

    def start(self):
        as_user([BIN + "/pg_ctl", "-D", self.data, "-l", self.log, "-w", "start"])

    def psql(self, sql):
        return sh(["psql", "-X", "-qAt", "-v", "ON_ERROR_STOP=1", "-h", self.sock, "-p", str(self.port),
                   "-U", "postgres", "-c", sql]).strip()

    def crash(self):
        with open(self.data + "/postmaster.pid") as f:
            pid = int(f.readline())
        t = time.time()
        os.kill(pid, signal.SIGKILL)
        while True:
            try:
                os.kill(pid, 0)
                time.sleep(0.01)
            except ProcessLookupError:
                return t

    def shutdown(self):
        for name in os.listdir(self.root):
            if os.path.exists(f"{self.root}/{name}/postmaster.pid"):
                as_user([BIN + "/pg_ctl", "-D", f"{self.root}/{name}", "-m", "immediate", "stop"], check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def runbook(binary, cluster, name, params):
    argv = [binary, "run", name, "--profile", cluster.profile, "--state-dir", cluster.state, "--yes",
            "--runbooks-dir", REPO + "/runbooks", "--format", "json"]
    for k, v in params.items():
        argv += ["--param", f"{k}={v}"]
    started = time.time()
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    wall = time.time() - started
    events = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    if r.returncode != 0:
        raise RuntimeError(f"runbook {name} failed ({r.returncode}):\n{r.stdout[-4000:]}\n{r.stderr[-2000:]}")
    steps = {e["step"]: e for e in events if e.get("event") == "step.end"}
    return wall, steps


class Writer(threading.Thread):
    """One session, one committed row every 100 ms, until the server dies or stop is set.
    Counts the commits the server acknowledged (psql prints INSERT 0 1 for each)."""

    def __init__(self, cluster):
        super().__init__()
        self.cluster = cluster
        self.stop = threading.Event()
        self.acked = 0

    def run(self):
        c = self.cluster
        p = subprocess.Popen(["psql", "-X", "-h", c.sock, "-p", str(c.port), "-U", "postgres"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        reader = threading.Thread(target=self.count, args=(p.stdout,))
        reader.start()
        try:
            while not self.stop.is_set():
                p.stdin.write("INSERT INTO rpo DEFAULT VALUES;\n")
                p.stdin.flush()
                time.sleep(0.1)
        except (BrokenPipeError, OSError):
            pass
        finally:
            try:
                p.stdin.close()
            except OSError:
                pass
            p.wait(timeout=10)
            reader.join()

    def count(self, stream):
        for line in stream:
            if line.startswith("INSERT 0 1"):
                self.acked += 1


def rpo_trial(binary, cluster, run_seconds):
    """Base backup, write, crash, recover from the archive only.
    Returns (seconds of writes lost, commits acknowledged, commits lost, pitr wall time, recover step time)."""
    runbook(binary, cluster, "base-backup", {"archive_dir": cluster.archive, "backup_dir": cluster.backups})
    first_id = int(cluster.psql("SELECT coalesce(max(id), 0) FROM rpo")) + 1
    w = Writer(cluster)
    started = time.time()
    w.start()
    time.sleep(run_seconds)
    crashed_at = cluster.crash()
    w.stop.set()
    w.join()
    wall, steps = runbook(binary, cluster, "pitr", {"archive_dir": cluster.archive, "backup_dir": cluster.backups,
                                                    "target_latest": "true", "flush_wal": "false"})
    survived = int(cluster.psql(f"SELECT count(*) FROM rpo WHERE id >= {first_id}"))
    newest = float(cluster.psql(f"SELECT coalesce(extract(epoch FROM max(at)), 0) FROM rpo WHERE id >= {first_id}"))
    lost_seconds = crashed_at - max(newest, started)
    return lost_seconds, w.acked, w.acked - survived, wall, steps.get("recover", {}).get("duration")


def manual_restore(cluster):
    """The baseline: the same restore by hand (ENVIRONMENT.md), to the end of the archive."""
    catalog = json.load(open(cluster.backups + "/catalog.json"))
    newest = catalog["backups"][-1]
    src = f"{cluster.backups}/{newest['id']}"
    started = time.time()
    as_user([BIN + "/pg_ctl", "-D", cluster.data, "-m", "fast", "-w", "stop"])
    aside = cluster.data + f".manual-{int(started)}"
    as_user(["mv", cluster.data, aside])
    as_user(["mkdir", "-m", "0700", cluster.data])
    for tar, into in [("base.tar.gz", cluster.data), ("pg_wal.tar.gz", cluster.data + "/pg_wal")]:
        with open(f"{src}/{tar}", "rb") as f:  # the backup is root's: stream it to tar running as the owner
            subprocess.run(["runuser", "-u", USER, "--", "tar", "-xzf", "-", "-C", into], stdin=f, check=True, cwd="/")
    with open(cluster.data + "/postgresql.auto.conf", "a") as f:
        f.write(f"restore_command = 'cp {cluster.archive}/%f %p'\nrecovery_target_timeline = 'current'\n")
    as_user(["touch", cluster.data + "/recovery.signal"])
    as_user([BIN + "/pg_ctl", "-D", cluster.data, "-l", cluster.log, "-W", "start"])
    while True:
        try:
            if cluster.psql("SELECT pg_is_in_recovery()") == "f":
                break
        except RuntimeError:
            pass
        time.sleep(0.05)
    return time.time() - started


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--runbook", default=os.path.join(REPO, ".build/debug/runbook"))
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root (initdb runs as the unprivileged user runbook-pg)")
    rng = random.Random(args.seed)
    cluster = Cluster()
    try:
        runbook(args.runbook, cluster, "wal-archiving-setup", {"archive_dir": cluster.archive, "archive_timeout": "5s"})
        cluster.psql("CREATE TABLE rpo (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())")
        results = {}
        for label, setting, trials in [("archive_timeout=5s", "5s", args.trials), ("archive_timeout=off (baseline)", "0", 1)]:
            cluster.psql(f"ALTER SYSTEM SET archive_timeout = '{setting}'")
            cluster.psql("SELECT pg_reload_conf()")
            losses, walls, recovers = [], [], []
            for i in range(trials):
                seconds = rng.uniform(8, 14)
                loss, acked, lost, wall, rec = rpo_trial(args.runbook, cluster, seconds)
                losses.append(loss)
                walls.append(wall)
                recovers.append(rec)
                print(f"{label}: trial {i + 1}: wrote {seconds:.1f}s ({acked} commits acknowledged), crash; "
                      f"lost {lost} commits = the last {loss:.2f}s; pitr runbook {wall:.2f}s (recover step {rec:.2f}s)", flush=True)
            results[label] = (losses, walls, recovers)
        manual = manual_restore(cluster)
        print()
        print("RPO (data lost at a crash, recovering from the archive only):")
        for label, (losses, _, _) in results.items():
            print(f"  {label:32s} mean {statistics.mean(losses):6.2f}s  max {max(losses):6.2f}s  (n={len(losses)})")
        base = statistics.mean(results["archive_timeout=off (baseline)"][0])
        five = results["archive_timeout=5s"][0]
        print(f"  ratio 5s / baseline (mean loss): {statistics.mean(five) / base:.3f}")
        walls = results["archive_timeout=5s"][1] + results["archive_timeout=off (baseline)"][1]
        recovers = results["archive_timeout=5s"][2] + results["archive_timeout=off (baseline)"][2]
        print("Recovery time (base backup + archive to the end, then promotion):")
        print(f"  runbook run pitr (whole runbook)  mean {statistics.mean(walls):6.2f}s  (n={len(walls)})")
        print(f"  its recover step                  mean {statistics.mean(recovers):6.2f}s")
        print(f"  by hand (baseline)                     {manual:6.2f}s")
        print(f"  ratio runbook / by hand: {statistics.mean(walls) / manual:.2f}")
    finally:
        cluster.shutdown()


if __name__ == "__main__":
    main()
