#!/usr/bin/env bash
# Restoring one database from the repository vs from a local file of the same dump, same run
# (issue 17 target: <= 1.3x the time).
#
#   benchmarks/repository/restore-bench.sh                          # pgbench scale 10, 3 rounds
#   RUNBOOK_BENCH_SCALE=50 RUNBOOK_BENCH_ROUNDS=5 benchmarks/repository/restore-bench.sh
#   RUNBOOK_BIN=.build/debug/runbook benchmarks/repository/restore-bench.sh   # skip the release build
#
# One throwaway PostgreSQL 15 cluster (pgbench -i -s SCALE as database `bench`), `rclone serve
# s3` as the repository, a key from age-keygen. `backup --param offsite=true` writes the dump
# once, locally and to the repository. Each round then times two runs of the same runbook,
# verify-backup (create a scratch database, pg_restore -j 2 into it, compare row counts, drop
# it), alternating which goes first:
#   local:      --param source=local, from backup_dir's file;
#   repository: --param source=repository into an empty directory: identity check (header),
#               download + decrypt + sha256 of the object, then the same restore.
# The ratio is mean(repository) / mean(local). Times are whole `runbook run` wall clock.
#
# Needs: PostgreSQL 15 server binaries, pgbench, age-keygen, rclone, aws, bc; run as root
# (initdb runs as the postgres user).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
scale=${RUNBOOK_BENCH_SCALE:-10}
rounds=${RUNBOOK_BENCH_ROUNDS:-3}
pgbin=/usr/lib/postgresql/15/bin
export PATH="$root/.tools/bin:$PATH"

for tool in "$pgbin/initdb" pgbench age-keygen rclone aws bc python3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 2; }
done
if [ -z "${RUNBOOK_BIN:-}" ]; then
  (cd "$root" && swift build -c release --product runbook >&2)
  RUNBOOK_BIN="$root/.build/release/runbook"
fi

work=$(mktemp -d /tmp/runbook-restore-bench.XXXXXX)
chmod 755 "$work" && chown postgres "$work"
pids=()
cleanup() {
  [ -f "$work/pg/postmaster.pid" ] && runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg" -m fast stop >/dev/null 2>&1 || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# PostgreSQL 15 on a free loopback port, password auth for the runbook's role.
pgport=$(free_port)
password="bench-$RANDOM$RANDOM"
mkdir "$work/pg" "$work/sock" && chown postgres "$work/pg" "$work/sock"
echo "$password" > "$work/pwfile" && chown postgres "$work/pwfile"
runuser -u postgres -- "$pgbin/initdb" -D "$work/pg" -U aqstream --pwfile "$work/pwfile" -A scram-sha-256 >/dev/null
cat >> "$work/pg/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $pgport
unix_socket_directories = '$work/sock'
CONF
runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w start >/dev/null
export PGPASSWORD=$password PGHOST=127.0.0.1 PGPORT=$pgport PGUSER=aqstream
createdb bench
pgbench -i -q -s "$scale" bench >/dev/null 2>&1
dbsize=$(psql -X -A -t -d bench -c "SELECT pg_size_pretty(pg_database_size('bench'))")

# The repository: rclone serve s3 with its own credentials.
s3port=$(free_port)
access="bench-$RANDOM" secret="secret-$RANDOM$RANDOM$RANDOM"
mkdir "$work/s3"
rclone serve s3 --addr "127.0.0.1:$s3port" --auth-key "$access,$secret" "$work/s3" --config /dev/null >"$work/rclone.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
  AWS_ACCESS_KEY_ID=$access AWS_SECRET_ACCESS_KEY=$secret aws --endpoint-url "http://127.0.0.1:$s3port" s3 mb s3://bench >/dev/null 2>&1 && break
  sleep 0.1
done
age-keygen -o "$work/key.txt" 2>/dev/null
recipient=$(age-keygen -y "$work/key.txt")

cat > "$work/profile.yaml" <<YAML
profile: restore-bench
secrets:
  pg_password: {env: BENCH_PG_PASSWORD}
  repo_access_key: {env: BENCH_REPO_ACCESS_KEY}
  repo_secret_key: {env: BENCH_REPO_SECRET_KEY}
targets:
  db:
    postgres: {via: local, host: 127.0.0.1, port: $pgport, user: aqstream, password: "\${secrets.pg_password}", bin_dir: $pgbin}
  offsite:
    repository:
      endpoint: "http://127.0.0.1:$s3port"
      bucket: bench
      prefix: bench/
      access_key: "\${secrets.repo_access_key}"
      secret_key: "\${secrets.repo_secret_key}"
      recipients: [$recipient]
YAML
export BENCH_PG_PASSWORD=$password BENCH_REPO_ACCESS_KEY=$access BENCH_REPO_SECRET_KEY=$secret
unset PGPASSWORD
rb() { "$RUNBOOK_BIN" "$@" --profile "$work/profile.yaml" --runbooks-dir "$root/runbooks" --state-dir "$work/state" --yes >>"$work/runs.log" 2>&1; }

rb run backup --param databases=bench --param backup_dir="$work/backups" --param media=false --param offsite=true \
  || { tail -30 "$work/runs.log" >&2; exit 1; }
dump=$(ls "$work/backups"/bench-*.dump)
echo "pgbench scale $scale: database $dbsize, dump $(stat -c %s "$dump") bytes, runbook $RUNBOOK_BIN"

now() { date +%s.%N; }
run_local() { rb run verify-backup --param database=bench --param backup_dir="$work/backups"; }
run_repository() {
  rm -rf "$work/fetched"
  rb run verify-backup --param database=bench --param source=repository --param backup_dir="$work/fetched"
}
export RUNBOOK_REPO_IDENTITY
RUNBOOK_REPO_IDENTITY=$(cat "$work/key.txt")
: > "$work/times"
for round in $(seq "$rounds"); do
  order="local repository"; [ $((round % 2)) -eq 0 ] && order="repository local"
  for side in $order; do
    start=$(now)
    "run_$side" || { tail -40 "$work/runs.log" >&2; exit 1; }
    echo "$side $(echo "$(now) - $start" | bc)" >> "$work/times"
  done
done
python3 - "$work/times" <<'PY'
import sys, statistics
times = {}
for line in open(sys.argv[1]):
    side, t = line.split()
    times.setdefault(side, []).append(float(t))
for side in ("local", "repository"):
    print(f"{side:11s} " + " ".join(f"{t:.2f}" for t in times[side]) + f"   mean {statistics.mean(times[side]):.2f} s")
print(f"ratio repository/local: {statistics.mean(times['repository']) / statistics.mean(times['local']):.3f} (target <= 1.3)")
PY
