#!/usr/bin/env bash
# The main job, end to end, on this machine, without Docker:
#   1. a sandbox AqStream under /tmp/runbook-demo, as profiles/local.yaml describes it:
#      PostgreSQL 15 (socket /tmp/runbook-demo/pg-socket, port 54329, role aqstream) holding
#      the AqStream databases with sample data; SeaweedFS S3 on 127.0.0.1:18333 holding sample
#      media; a stand-in app with /actuator/health on 127.0.0.1:18080; and the offsite
#      repository: a second, independent S3 server (rclone serve s3 on 127.0.0.1:18340, its own
#      credentials) and an age key pair made with age-keygen;
#   2. runbook run backup --param offsite=true: dumps, roles and media locally AND encrypted
#      into the repository; the backup run has only the public recipient, never the identity;
#      then `runbook info --max-age 26h --max-offsite-age 26h`: "are we safe right now?", local
#      and offsite, read with the repository's access credentials only, and a few series of the
#      Prometheus textfile the backup run rewrote (checked with promtool);
#   3. the disaster: the host is lost: the PostgreSQL data directory, the local backup
#      directory and the media bucket's contents are deleted; a new, empty server is initdb'd;
#   4. runbook run disaster-recovery --param source=repository --param manage_stack=false, with
#      the identity given to this run only: roles, databases and media come from the repository;
#   5. proof that everything is back: per table, row count and md5 of the ordered rows before
#      and after; per object, sha256 before and after;
#   6. the audit summary (runbook history, runbook audit verify) with the RPO and RTO achieved;
#   7. clean-up: every server it started is stopped and the sandbox removed, also on failure
#      or Ctrl-C (RUNBOOK_DEMO_KEEP=1 keeps the sandbox's files, never its servers).
# Run as root on Debian bookworm with Swift 6.3: it installs what it needs (scripts/setup.sh).
# The demo's profile is profiles/local.yaml with the recipient of the key made here.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

SANDBOX=/tmp/runbook-demo
PG_PORT=54329
S3_PORT=18333
REPO_PORT=18340
REPO_BUCKET=aqstream-offsite
APP_PORT=18080
BUCKET=aqstream-media
DATABASES=(shared_services_db user_service_db payment_service_db)
PG_BIN=/usr/lib/postgresql/15/bin
PG_OS_USER=runbook-pg            # created by scripts/setup.sh: initdb refuses to run as root

if [ -t 1 ]; then bold=$'\e[1m'; green=$'\e[32m'; red=$'\e[31m'; dim=$'\e[2m'; off=$'\e[0m'; else bold= green= red= dim= off=; fi
say() { printf '%s\n' "$*"; }
phase() { printf '\n%s==> %s%s\n' "$bold" "$*" "$off"; }
die() { printf '%sdemo: %s%s\n' "$red" "$*" "$off" >&2; exit 1; }

# ---------------------------------------------------------------------------------------
# Clean-up: servers this script started, by their pids only; then the sandbox.
weed_pid=""
app_pid=""
repo_pid=""
pg_started=false
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null && wait "$app_pid" 2>/dev/null || true
  [ -n "$repo_pid" ] && kill "$repo_pid" 2>/dev/null && wait "$repo_pid" 2>/dev/null || true
  # SeaweedFS takes ~10 s to shut down gracefully; its data is thrown away, so 3 s is plenty.
  if [ -n "$weed_pid" ] && kill "$weed_pid" 2>/dev/null; then
    for _ in $(seq 1 30); do kill -0 "$weed_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$weed_pid" 2>/dev/null || true
    wait "$weed_pid" 2>/dev/null || true
  fi
  if $pg_started && [ -f "$SANDBOX/pgdata/postmaster.pid" ]; then
    runuser -u "$PG_OS_USER" -- "$PG_BIN/pg_ctl" -D "$SANDBOX/pgdata" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  fi
  if [ "${RUNBOOK_DEMO_KEEP:-0}" = 1 ]; then
    say "${dim}sandbox kept in $SANDBOX (servers stopped)${off}"
  else
    rm -rf "$SANDBOX"
  fi
  case $status in
    0) say "${dim}cleaned up: servers stopped, $SANDBOX removed${off}" ;;
    4|130) say "${red}demo interrupted; cleaned up${off}" >&2 ;;
    *) say "${red}demo failed (exit $status); cleaned up${off}" >&2 ;;
  esac
  exit "$status"
}
trap cleanup EXIT
trap 'say "${red}interrupted${off}" >&2; exit 130' INT TERM

# ---------------------------------------------------------------------------------------
phase "Install and build"
bash scripts/setup.sh
# The PyPI tools (weed, aws) live in the venv setup.sh owns.
export PATH="$repo/.tools/bin:$PATH"
# RUNBOOK_SCRATCH reuses another release build directory (the benchmarks build in .build-release).
scratch=${RUNBOOK_SCRATCH:-$repo/.build}
# Swift's runtime linked in: one file to copy to a host, and a cold start (a nightly cron run)
# loads one binary instead of a dozen libraries: 0.10 s instead of 0.21 s, measured.
swift build -c release --static-swift-stdlib --product runbook --scratch-path "$scratch" 2>&1 | tail -n 3
RUNBOOK="$scratch/release/runbook"
[ -x "$RUNBOOK" ] || die "the release build did not produce $RUNBOOK"
demo_started=$(date +%s.%N)

# A sandbox left by a run that was killed with SIGKILL: stop what it left, by its pid files.
if [ -e "$SANDBOX" ]; then
  say "removing a previous sandbox"
  [ -f "$SANDBOX/pgdata/postmaster.pid" ] && runuser -u "$PG_OS_USER" -- "$PG_BIN/pg_ctl" -D "$SANDBOX/pgdata" -m immediate -w stop >/dev/null 2>&1 || true
  for f in "$SANDBOX"/run/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  rm -rf "$SANDBOX"
fi
for port in $PG_PORT $S3_PORT $APP_PORT $REPO_PORT; do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then die "127.0.0.1:$port is already in use; stop whatever listens there and run again"; fi
done

export PGHOST="$SANDBOX/pg-socket" PGPORT=$PG_PORT PGUSER=aqstream
unset PGPASSWORD PGDATABASE
# Demo credentials: the profile reads them from these variables (never from argv or a file in git).
export RUNBOOK_DEMO_S3_ACCESS_KEY=${RUNBOOK_DEMO_S3_ACCESS_KEY:-demo-access-key}
export RUNBOOK_DEMO_S3_SECRET_KEY=${RUNBOOK_DEMO_S3_SECRET_KEY:-demo-secret-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')}
aws_s3() {
  AWS_ACCESS_KEY_ID=$RUNBOOK_DEMO_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RUNBOOK_DEMO_S3_SECRET_KEY AWS_DEFAULT_REGION=us-east-1 \
  AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null aws --endpoint-url "http://127.0.0.1:$S3_PORT" "$@"
}
# The repository's server has its own credentials: production's MinIO keys cannot touch it.
export RUNBOOK_REPO_ACCESS_KEY=${RUNBOOK_REPO_ACCESS_KEY:-demo-repo-access}
export RUNBOOK_REPO_SECRET_KEY=${RUNBOOK_REPO_SECRET_KEY:-demo-repo-secret-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')}
# Only the recovery run gets the identity (step 4); nothing before it may need it.
unset RUNBOOK_REPO_IDENTITY
aws_repo() {
  AWS_ACCESS_KEY_ID=$RUNBOOK_REPO_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RUNBOOK_REPO_SECRET_KEY AWS_DEFAULT_REGION=us-east-1 \
  AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null aws --endpoint-url "http://127.0.0.1:$REPO_PORT" "$@"
}
psql_q() { psql -X -q -v ON_ERROR_STOP=1 -A -t "$@"; }
http_get() { python3 "$repo/scripts/demo/http_get.py" "$@"; }

# ---------------------------------------------------------------------------------------
phase "1. Sandbox AqStream in $SANDBOX"
mkdir -p "$SANDBOX"/{pg-socket,pg-log,s3,repo,backups,media-src,run,state,check,profiles}
install -d -m 700 "$SANDBOX/keys"
chmod 755 "$SANDBOX"
chown "$PG_OS_USER" "$SANDBOX/pg-socket" "$SANDBOX/pg-log"
# A new, empty PostgreSQL 15 server in $SANDBOX/pgdata with only the role aqstream: the sandbox's
# server at the start, and the replacement server after the host is lost.
start_new_server() {
  install -d -o "$PG_OS_USER" -m 700 "$SANDBOX/pgdata"
  runuser -u "$PG_OS_USER" -- "$PG_BIN/initdb" -D "$SANDBOX/pgdata" -U aqstream --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  cat >> "$SANDBOX/pgdata/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$SANDBOX/pg-socket'
CONF
  runuser -u "$PG_OS_USER" -- "$PG_BIN/pg_ctl" -D "$SANDBOX/pgdata" -l "$SANDBOX/pg-log/postgresql.log" -w -t 30 start >/dev/null
}
start_new_server
pg_started=true
for db in "${DATABASES[@]}"; do
  psql_q -d postgres -c "CREATE DATABASE $db"
  psql_q -d "$db" -f "$repo/scripts/demo/sample-data/$db.sql"
done
say "PostgreSQL 15 on $SANDBOX/pg-socket:$PG_PORT: ${DATABASES[*]}"

weed=$(command -v weed)
# Servers run in their own session: Ctrl-C reaches the demo and the runbook step it runs,
# and the clean-up below stops the servers in order (a Ctrl-C would kill them mid-step).
AWS_ACCESS_KEY_ID=$RUNBOOK_DEMO_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RUNBOOK_DEMO_S3_SECRET_KEY \
  setsid "$weed" mini -dir="$SANDBOX/s3" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
  -s3.port=$S3_PORT -master.port=18334 -volume.port=18335 -filer.port=18336 -admin.port=18337 \
  -webdav=false -admin.ui=false -s3.port.iceberg=0 -s3.port.lance=0 -master.telemetry=false \
  -filer.localSocket="$SANDBOX/run/filer.sock" -s3.localSocket="$SANDBOX/run/s3.sock" \
  -bucket=$BUCKET > "$SANDBOX/s3.log" 2>&1 &
weed_pid=$!
echo "$weed_pid" > "$SANDBOX/run/weed.pid"
for _ in $(seq 1 100); do
  http_get "http://127.0.0.1:$S3_PORT/healthz" 1 >/dev/null 2>&1 && aws_s3 s3api head-bucket --bucket $BUCKET 2>/dev/null && break
  kill -0 "$weed_pid" 2>/dev/null || die "SeaweedFS exited; see its log above: $(tail -n 5 "$SANDBOX/s3.log")"
  sleep 0.2
done
bash "$repo/scripts/demo/make-sample-media.sh" "$SANDBOX/media-src"
# SeaweedFS 4.48 leaves the aws CLI's keep-alive connection hanging (60 s) after an empty
# PUT in a batch, so empty objects are uploaded on their own.
(cd "$SANDBOX/media-src" && find . -type f -empty | sed 's|^\./||') > "$SANDBOX/run/empty-objects"
excludes=()
while read -r key; do excludes+=(--exclude "$key"); done < "$SANDBOX/run/empty-objects"
aws_s3 s3 sync --only-show-errors "${excludes[@]}" "$SANDBOX/media-src" "s3://$BUCKET"
while read -r key; do
  aws_s3 s3api put-object --bucket "$BUCKET" --key "$key" --body "$SANDBOX/media-src/$key" > /dev/null
done < "$SANDBOX/run/empty-objects"
rm -rf "$SANDBOX/media-src"
say "SeaweedFS S3 on 127.0.0.1:$S3_PORT: bucket $BUCKET with sample media"

# The offsite repository: another S3 server (rclone), another bucket, other credentials, and an
# age key pair. The profile gets only the public recipient; the identity stays in keys/.
RCLONE_AUTH_KEY="\"$RUNBOOK_REPO_ACCESS_KEY,$RUNBOOK_REPO_SECRET_KEY\"" \
  setsid "$(command -v rclone)" serve s3 --addr "127.0.0.1:$REPO_PORT" "$SANDBOX/repo" --config /dev/null > "$SANDBOX/repo.log" 2>&1 &
repo_pid=$!
echo "$repo_pid" > "$SANDBOX/run/repo.pid"
for _ in $(seq 1 100); do
  aws_repo s3api list-buckets >/dev/null 2>&1 && break
  kill -0 "$repo_pid" 2>/dev/null || die "rclone serve s3 exited: $(tail -n 5 "$SANDBOX/repo.log")"
  sleep 0.2
done
aws_repo s3api create-bucket --bucket "$REPO_BUCKET" >/dev/null
age-keygen -o "$SANDBOX/keys/restore-key.txt" 2>/dev/null
recipient=$(age-keygen -y "$SANDBOX/keys/restore-key.txt")
PROFILE="$SANDBOX/profiles/local.yaml"
sed -E "s|^( *- )age1[0-9a-z]+\$|\1$recipient|" profiles/local.yaml > "$PROFILE"
grep -q "$recipient" "$PROFILE" || die "could not put the recipient into $PROFILE"
say "offsite repository: rclone serve s3 on 127.0.0.1:$REPO_PORT, bucket $REPO_BUCKET; encrypted to $recipient"

APP_PORT=$APP_PORT S3_PORT=$S3_PORT HEALTH_DATABASES="${DATABASES[*]}" setsid python3 "$repo/scripts/demo/health_server.py" > "$SANDBOX/app.log" 2>&1 &
app_pid=$!
echo "$app_pid" > "$SANDBOX/run/app.pid"
for _ in $(seq 1 50); do http_get "http://127.0.0.1:$APP_PORT/actuator/health" 2 >/dev/null 2>&1 && break; sleep 0.1; done
say "app on 127.0.0.1:$APP_PORT: $(http_get "http://127.0.0.1:$APP_PORT/actuator/health" 5)"

# What "everything is back" will be compared with, measured with psql and the aws CLI
# (independent of runbook): rows:md5 of each table's rows in byte order, sha256 of each object.
table_checksums() {
  for db in "${DATABASES[@]}"; do
    psql_q -d "$db" -c "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                        WHERE c.relkind IN ('r','p') AND n.nspname NOT IN ('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1" |
    while read -r table; do
      printf '%s\t%s\t%s\n' "$db" "$table" "$(psql_q -d "$db" -c "SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text, E'\n' ORDER BY t::text COLLATE \"C\")), '-') FROM $table t")"
    done
  done
}
object_checksums() {
  local dir=$SANDBOX/check/objects-$1
  rm -rf "$dir" && mkdir -p "$dir"
  aws_s3 s3 sync --only-show-errors "s3://$BUCKET" "$dir"
  (cd "$dir" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum | sed 's|  \./|\t|')
  rm -rf "$dir"
}
table_checksums > "$SANDBOX/check/tables.before"
object_checksums before > "$SANDBOX/check/objects.before"
say "recorded $(wc -l < "$SANDBOX/check/tables.before") tables and $(wc -l < "$SANDBOX/check/objects.before") objects (their checksums) to compare with after the recovery"

run_runbook() {
  local name=$1; shift
  say "${dim}\$ runbook run $name --profile local $*${off}"
  "$RUNBOOK" run "$name" --profile "$PROFILE" --state-dir "$SANDBOX/state" --operator demo --yes "$@"
}

# ---------------------------------------------------------------------------------------
phase "2. Backup"
# The textfile collector's directory exists on a monitored host; runbook does not create it (a
# typo in the path must not quietly write where node-exporter never looks: it warns instead).
mkdir -p "$SANDBOX/metrics"
run_runbook backup --param backup_dir="$SANDBOX/backups" --param bucket="$BUCKET" --param offsite=true \
  --metrics-file "$SANDBOX/metrics/runbook.prom"
backup_finished=$(date +%s.%N)
say "in the repository (plaintext manifests list names and sizes; every object is an age file):"
aws_repo s3 ls --recursive "s3://$REPO_BUCKET/" | awk '{printf "  %10s  %s\n", $3, $4}' | grep -v '/media/' | head -n 12
say "  ... and $(aws_repo s3 ls --recursive "s3://$REPO_BUCKET/" | grep -c '/media/') media objects under random ids"
say "${dim}\$ runbook info --profile local --max-age 26h --max-offsite-age 26h${off}"
"$RUNBOOK" info --profile "$PROFILE" --state-dir "$SANDBOX/state" --max-age 26h --max-offsite-age 26h
promtool check metrics < "$SANDBOX/metrics/runbook.prom"
say "what monitoring reads: the textfile-collector file the run rewrote (promtool check metrics: ok), a few of its series:"
grep -E '^runbook_(backup_newest_timestamp_seconds|last_run_success|offsite_up|offsite_backup_timestamp_seconds|offsite_verified|offsite_media_objects)[{ ]' \
  "$SANDBOX/metrics/runbook.prom" | sed 's/^/  /'

# ---------------------------------------------------------------------------------------
phase "3. Disaster: the host is lost (data directory, local backups, media), a new empty server"
runuser -u "$PG_OS_USER" -- "$PG_BIN/pg_ctl" -D "$SANDBOX/pgdata" -m immediate -w -t 30 stop >/dev/null
rm -rf "$SANDBOX/pgdata" "$SANDBOX/backups"
aws_s3 s3 rm --only-show-errors --recursive "s3://$BUCKET"
disaster_at=$(date +%s.%N)
start_new_server
say "new server: databases $(psql_q -d postgres -c "SELECT string_agg(datname, ', ' ORDER BY datname) FROM pg_database") and roles $(psql_q -d postgres -c "SELECT string_agg(rolname, ', ' ORDER BY rolname) FROM pg_roles WHERE rolname NOT LIKE 'pg\\_%'")"
say "local backups: $([ -e "$SANDBOX/backups" ] && echo present || echo none); objects left in the bucket: $(aws_s3 s3 ls --recursive "s3://$BUCKET" | wc -l)"
say "app health: $(http_get "http://127.0.0.1:$APP_PORT/actuator/health" 5 || true)"

# ---------------------------------------------------------------------------------------
phase "4. Recovery"
# The identity reaches this run only, through the environment (never argv).
RUNBOOK_REPO_IDENTITY=$(cat "$SANDBOX/keys/restore-key.txt") \
  run_runbook disaster-recovery --param manage_stack=false --param source=repository --param backup_dir="$SANDBOX/backups" --param bucket="$BUCKET"

# ---------------------------------------------------------------------------------------
phase "5. Is everything back?"
table_checksums > "$SANDBOX/check/tables.after"
object_checksums after > "$SANDBOX/check/objects.after"
python3 - "$SANDBOX/check" <<'PY'
import sys
d = sys.argv[1]
def load(name, key_fields):
    rows = {}
    for line in open(f"{d}/{name}", encoding="utf-8"):
        parts = line.rstrip("\n").split("\t")
        rows[tuple(parts[:key_fields])] = parts[key_fields]
    return rows
before, after = load("tables.before", 2), load("tables.after", 2)
ok = True
print(f"{'database':<20} {'table':<38} {'rows':>7}  {'md5 of ordered rows (before = after)':<34}  ok")
for key in sorted(set(before) | set(after)):
    b, a = before.get(key, "missing -"), after.get(key, "missing -")
    same = a == b
    ok &= same
    rows, md5 = b.split(" ")
    print(f"{key[0]:<20} {key[1]:<38} {rows:>7}  {md5 if same else md5 + ' != ' + a.split(' ')[1]:<34}  {'yes' if same else 'NO'}")
ob, oa = load("objects.before", 1), load("objects.after", 1)
same_objects = [k for k in ob if oa.get(k) == ob[k]]
ok &= len(same_objects) == len(ob) == len(oa)
print(f"\nmedia: {len(same_objects)} of {len(ob)} objects back with the same sha256 ({len(oa)} in the bucket now)")
for k in sorted(set(ob) ^ set(same_objects))[:10]:
    print(f"  differs or missing: {k[0]}")
sys.exit(0 if ok else 1)
PY
say "app health: $(http_get "http://127.0.0.1:$APP_PORT/actuator/health" 5 || true)"

# ---------------------------------------------------------------------------------------
phase "6. Audit"
"$RUNBOOK" history --state-dir "$SANDBOX/state"
echo
"$RUNBOOK" audit verify --state-dir "$SANDBOX/state"
"$RUNBOOK" history --state-dir "$SANDBOX/state" --format json > "$SANDBOX/check/history.json"
python3 - "$SANDBOX/check/history.json" "$disaster_at" "$demo_started" <<'PY'
import datetime, json, sys, time
runs, disaster_at, demo_started = json.load(open(sys.argv[1])), float(sys.argv[2]), float(sys.argv[3])
def latest(name):
    found = [r for r in runs if r["runbook"] == name]
    if not found:
        sys.exit(f"demo: no {name} run in the history")
    return max(found, key=lambda r: r["started_at"])
def started(run):
    return datetime.datetime.fromisoformat(run["started_at"].replace("Z", "+00:00")).timestamp()
backup, recovery = latest("backup"), latest("disaster-recovery")
for run in (backup, recovery):
    if run["status"] != "succeeded":
        sys.exit(f"demo: run {run['run']} of {run['runbook']} is {run['status']}")
# pg_dump's snapshot is taken when the dump starts: what was written after that is not in the backup.
rpo = disaster_at - started(backup)
print(f"\nRPO achieved: {rpo:.1f}s  (changes since backup run {backup['run']} started are lost; seed target: 1 h, seed today: 24 h)")
if "rto_seconds" not in recovery:
    sys.exit(f"demo: disaster-recovery run {recovery['run']} recorded no RTO")
met = "met" if recovery["rto_met"] else "MISSED"
print(f"RTO achieved: {recovery['rto_seconds']:.1f}s  (disaster-recovery run {recovery['run']}, start until step {recovery['rto_until']} succeeded; objective 4 h: {met}; seed today: ~1 h)")
print(f"demo time after the build: {time.time() - demo_started:.1f}s")
PY
say "${green}${bold}demo passed: every row and every object is back${off}"
