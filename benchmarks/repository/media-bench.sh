#!/usr/bin/env bash
# Media into the repository: `runbook run` of one repository.push-media (1,000 small objects, names
# hidden, age-encrypted) against `rclone sync` of the same directory to an rclone `crypt` remote
# (names and contents encrypted), both into one `rclone serve s3` on loopback, same run.
#
#   benchmarks/repository/media-bench.sh                 # .build/debug/runbook (RUNBOOK_BIN to choose)
#   RUNBOOK_BENCH_COUNT=1000 RUNBOOK_BENCH_ROUNDS=3 benchmarks/repository/media-bench.sh
#
# Each round, each side pushes into an empty bucket ("initial"), then runs again with nothing
# changed ("unchanged"). Both move the same number of objects at once (RUNBOOK_BENCH_PARALLEL, default 8:
# rclone --transfers/--checkers 8, push-media parallel 8).
# Times are the wall time of the whole process (ours: start, validation, journal, audit, exit).
# Needs: rclone, python3, swift-built runbook. Only 127.0.0.1 is used; everything is removed on exit.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
runbook=${RUNBOOK_BIN:-$root/.build/debug/runbook}
count=${RUNBOOK_BENCH_COUNT:-1000}
rounds=${RUNBOOK_BENCH_ROUNDS:-3}
parallel=${RUNBOOK_BENCH_PARALLEL:-8}
export PATH="$root/.tools/bin:$PATH"
for tool in rclone python3 age-keygen; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 2; }
done
[ -x "$runbook" ] || { echo "bench: no runbook binary at $runbook (swift build)" >&2; exit 2; }

work=$(mktemp -d /tmp/runbook-media-bench.XXXXXX)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
access="bench-$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
secret="secret-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
mkdir -p "$work/data"
RCLONE_AUTH_KEY="\"$access,$secret\"" rclone serve s3 --addr "127.0.0.1:$port" "$work/data" --config /dev/null >"$work/server.log" 2>&1 &
server_pid=$!

# 1,000 small files (1 B - 24 KB) under nested folders, and the s3.mirror manifest of them.
python3 - "$work/mirror" "$count" <<'PY'
import hashlib, json, os, random, sys
root, count = sys.argv[1], int(sys.argv[2])
rng = random.Random(42)
objects = []
for i in range(count):
    key = "users/%03d/uploads/photo-%05d.jpg" % (i % 97, i)
    data = rng.randbytes(rng.randint(1, 24000))
    path = os.path.join(root, "current", key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    objects.append({"key": key, "size": len(data), "etag": hashlib.md5(data).hexdigest(), "sha256": hashlib.sha256(data).hexdigest()})
objects.sort(key=lambda o: o["key"])
manifest = {"format": "runbook-s3-manifest", "version": 1, "source": "s3://aqstream-media/", "created_at": "2026-12-04T00:00:00Z",
            "count": len(objects), "total_bytes": sum(o["size"] for o in objects), "objects": objects}
with open(os.path.join(root, "manifest.json"), "w") as f:
    json.dump(manifest, f)
PY
bytes=$(du -sb "$work/mirror/current" | cut -f1)

age-keygen -o "$work/key.txt" 2>/dev/null
recipient=$(age-keygen -y "$work/key.txt")
cat >"$work/profile.yaml" <<YAML
profile: bench
secrets:
  repo_access_key: {env: BENCH_REPO_ACCESS_KEY}
  repo_secret_key: {env: BENCH_REPO_SECRET_KEY}
targets:
  offsite:
    repository:
      endpoint: http://127.0.0.1:$port
      bucket: ours
      prefix: prod/
      access_key: "\${secrets.repo_access_key}"
      secret_key: "\${secrets.repo_secret_key}"
      recipients: ["$recipient"]
YAML
export BENCH_REPO_ACCESS_KEY=$access BENCH_REPO_SECRET_KEY=$secret

# rclone's remotes from the environment: an S3 remote on the same server, and crypt on top of it.
export RCLONE_CONFIG_REPO_TYPE=s3 RCLONE_CONFIG_REPO_PROVIDER=Other RCLONE_CONFIG_REPO_ENDPOINT="http://127.0.0.1:$port"
export RCLONE_CONFIG_REPO_ACCESS_KEY_ID=$access RCLONE_CONFIG_REPO_SECRET_ACCESS_KEY=$secret
export RCLONE_CONFIG_SECRET_TYPE=crypt RCLONE_CONFIG_SECRET_REMOTE=repo:theirs/media
RCLONE_CONFIG_SECRET_PASSWORD=$(rclone obscure "bench-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')")
export RCLONE_CONFIG_SECRET_PASSWORD
for _ in $(seq 100); do rclone --config /dev/null lsd repo: >/dev/null 2>&1 && break; sleep 0.1; done

seconds() { python3 -c 'import sys,time; print("%.3f" % time.time())'; }
timed() { local start end; start=$(seconds); "$@" >"$work/last.log" 2>&1 || { cat "$work/last.log" >&2; exit 1; }; end=$(seconds); grep -h "cpu\|✓ push" "$work/last.log" >&2 || true; python3 -c "print('%.3f' % ($end - $start))"; }
ours() { timed /usr/bin/time -f "ours-cpu user %U sys %S wall %e" "$runbook" run "$root/benchmarks/repository/bench-push-media.yaml" --profile "$work/profile.yaml" --state-dir "$work/state" --param dir="$work/mirror" --param parallel="$parallel" --yes; }
theirs() { timed rclone --config /dev/null sync "$work/mirror/current" secret: --transfers "$parallel" --checkers "$parallel"; }
fresh() { rclone --config /dev/null purge "repo:$1" >/dev/null 2>&1 || true; rclone --config /dev/null mkdir "repo:$1"; }

echo "media-bench: $count files, $bytes bytes, $rounds rounds, parallel $parallel, runbook $runbook, $(rclone version | head -1)"
printf '%-6s %-10s %10s %10s %8s\n' round case ours_s rclone_s ratio
for round in $(seq "$rounds"); do
  fresh ours; fresh theirs
  for case in initial unchanged; do
    o=$(ours); t=$(theirs)
    printf '%-6s %-10s %10s %10s %8s\n' "$round" "$case" "$o" "$t" "$(python3 -c "print('%.2f' % ($t / $o))")"
  done
done
# ratio = rclone's time / ours: >= 1.0 means ours is at least as fast.
objects=$(rclone --config /dev/null ls repo:ours | wc -l)
echo "objects in the repository bucket after our pushes: $objects (= $count contents + 1 index + 1 manifest)"
