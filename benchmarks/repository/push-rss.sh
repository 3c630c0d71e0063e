#!/usr/bin/env bash
# Peak RSS of `runbook run backup --param offsite=true` pushing one database to a repository
# served by `rclone serve s3`, with keep_local=false (streamed) and keep_local=true.
#   benchmarks/repository/push-rss.sh                  # ~1 GiB database
#   RUNBOOK_BENCH_MB=300 benchmarks/repository/push-rss.sh
# Needs: the debug or release runbook binary, PostgreSQL 15 in /usr/lib/postgresql/15/bin,
# rclone, age-keygen, /usr/bin/time. Everything runs on free loopback ports in a temp dir.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${RUNBOOK_BIN:-$ROOT/.build/debug/runbook}
MB=${RUNBOOK_BENCH_MB:-1024}
PG=/usr/lib/postgresql/15/bin
WORK=$(mktemp -d /tmp/runbook-push-rss-XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PGPORT=$(free_port); S3PORT=$(free_port)
cleanup() {
  [ -n "${RCLONE_PID:-}" ] && kill "$RCLONE_PID" 2>/dev/null || true
  runuser -u postgres -- "$PG/pg_ctl" -D "$WORK/pgdata" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
chown postgres "$WORK" 2>/dev/null || true
chmod 755 "$WORK"

runuser -u postgres -- "$PG/initdb" -D "$WORK/pgdata" -U aqstream --auth=trust >/dev/null
runuser -u postgres -- "$PG/pg_ctl" -D "$WORK/pgdata" -o "-p $PGPORT -k $WORK -c listen_addresses=127.0.0.1" -l "$WORK/pg.log" start >/dev/null
export PGHOST=127.0.0.1 PGPORT PGUSER=aqstream
psql -q -d postgres -c "CREATE DATABASE bench"
# ~1 KB rows of text, dumped in plain format (no compression), so the stream pushed is about
# as large as the table.
ROWS=$((MB * 1024 * 1024 / 1100))
psql -q -d bench -c "CREATE TABLE filler AS SELECT i, repeat(md5(i::text), 30) AS t FROM generate_series(1, $ROWS) i"
SIZE=$(psql -At -d bench -c "SELECT pg_database_size('bench')")

mkdir -p "$WORK/s3/offsite" "$WORK/backups"
RCLONE_AUTH_KEY='"benchaccesskey,benchsecretkey123"' rclone serve s3 --addr "127.0.0.1:$S3PORT" "$WORK/s3" --config /dev/null >"$WORK/rclone.log" 2>&1 &
RCLONE_PID=$!
sleep 2
RECIPIENT=$(age-keygen -o "$WORK/key.txt" 2>&1 | sed -n 's/Public key: //p')
cat >"$WORK/profile.yaml" <<YAML
profile: profile
secrets:
  repo_access_key: {env: BENCH_REPO_ACCESS_KEY}
  repo_secret_key: {env: BENCH_REPO_SECRET_KEY}
targets:
  db:
    postgres: {via: local, host: 127.0.0.1, port: $PGPORT, user: aqstream}
  offsite:
    repository:
      endpoint: http://127.0.0.1:$S3PORT
      bucket: offsite
      access_key: "\${secrets.repo_access_key}"
      secret_key: "\${secrets.repo_secret_key}"
      recipients: [$RECIPIENT]
YAML
export BENCH_REPO_ACCESS_KEY=benchaccesskey BENCH_REPO_SECRET_KEY=benchsecretkey123
unset RUNBOOK_REPO_IDENTITY

echo "database: $((SIZE / 1048576)) MiB on disk"
for keep in false true; do
  rm -rf "$WORK/backups"; mkdir -p "$WORK/backups"
  sleep 1
  start=$(date +%s.%N)
  /usr/bin/time -v -o "$WORK/time-$keep.txt" "$BIN" run backup --profile "$WORK/profile.yaml" \
    --state-dir "$WORK/state" --runbooks-dir "$ROOT/runbooks" --yes \
    --param databases=bench --param format=plain --param media=false --param offsite=true --param keep_local=$keep \
    --param backup_dir="$WORK/backups" >"$WORK/run-$keep.log" 2>&1 || { cat "$WORK/run-$keep.log"; exit 1; }
  end=$(date +%s.%N)
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time-$keep.txt")
  pushed=$(python3 -c "import json; l=json.load(open('$WORK/backups/manifest.json')); m=json.load(open('$WORK/s3/offsite/manifests/dumps.json')); print(sum(m['objects']['dumps/'+a['path']]['plaintextSize'] for a in l['artifacts'] if a['database']=='bench'))")
  ondisk=$(find "$WORK/backups" -name 'bench-*' -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
  printf 'keep_local=%-5s peak RSS %6.1f MiB  wall %6.1f s  dump pushed %6.1f MiB  local dump file %6.1f MiB\n' \
    "$keep" "$(echo "$rss / 1024" | bc -l)" "$(echo "$end - $start" | bc -l)" \
    "$(echo "$pushed / 1048576" | bc -l)" "$(echo "$ondisk / 1048576" | bc -l)"
done
