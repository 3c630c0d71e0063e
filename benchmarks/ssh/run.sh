#!/usr/bin/env bash
# Benchmarks for issue 19 (remote hosts over ssh), measured in one run on this machine:
#   1. a dump over ssh into the local backup directory (postgres.dump, via: ssh) vs
#      `ssh host pg_dump -Fc > file` by hand over the same warm connection;
#   2. the per-step overhead of a trivial remote step (shell.run host: ... `true`) with a warm connection;
#   3. fleet wall time vs members and parallel (a profile group of N members, one sshd port each,
#      one small dump per member; 20 ports over two sshds, as sshd listens on at most 16).
# Timed runs alternate (by hand, runbook, by hand, ...) and report every figure, the median and
# the load average, since the machine is shared.
# Usage: RUNBOOK_BIN=.build/release/runbook bash benchmarks/ssh/run.sh [SIZE_MB] [REPS]
# It starts a throwaway PostgreSQL 15 cluster and sshd on free loopback ports under a temp dir
# (as root: the "remote" user is root, keys only) and removes everything at the end.
set -euo pipefail
SIZE_MB=${1:-1024}
REPS=${2:-3}
BIN=${RUNBOOK_BIN:-$(pwd)/.build/release/runbook}
PG=/usr/lib/postgresql/15/bin
[ -x "$BIN" ] || { echo "runbook binary missing: $BIN" >&2; exit 1; }
[ -x /usr/sbin/sshd ] || { echo "sshd missing (apt-get install -y openssh-server)" >&2; exit 1; }
W=$(mktemp -d /tmp/rb-ssh-bench-XXXXXX); chmod 755 "$W"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
PGPORT=$(free_port)
SSHD_PID=""
cleanup() {
  [ -n "$SSHD_PID" ] && kill $SSHD_PID 2>/dev/null || true
  runuser -u postgres -- "$PG/pg_ctl" -D "$W/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap cleanup EXIT

# PostgreSQL: trust over the socket directory.
chown postgres "$W"
runuser -u postgres -- "$PG/initdb" -D "$W/data" -U postgres --auth-local=trust -E UTF8 --locale=C.UTF-8 >/dev/null
printf "port = %s\nunix_socket_directories = '%s'\nlisten_addresses = ''\nfsync = off\nmax_wal_size = 4GB\n" "$PGPORT" "$W" >> "$W/data/postgresql.conf"
runuser -u postgres -- "$PG/pg_ctl" -D "$W/data" -l "$W/pg.log" -w start >/dev/null
psql() { "$PG/psql" -X -q -h "$W" -p "$PGPORT" -U postgres "$@"; }
psql -d postgres -c "CREATE DATABASE bench"
# ~SIZE_MB of table data: rows of ~1 kB, half compressible.
ROWS=$((SIZE_MB * 1000))
psql -d bench -c "CREATE TABLE t AS SELECT g AS id, md5(g::text) || repeat(md5((g*7)::text), 15) || repeat('x', 480) AS body FROM generate_series(1, $ROWS) g"
echo "database: $(psql -d bench -A -t -c "SELECT pg_size_pretty(pg_database_size('bench'))")"

# Two sshds (at most 16 listen sockets each) with 20 ports in all, a throwaway host key and client key.
mkdir -p /run/sshd "$W/ssh"; chmod 700 "$W/ssh"
ssh-keygen -q -t ed25519 -N '' -f "$W/ssh/host" ; ssh-keygen -q -t ed25519 -N '' -f "$W/ssh/id"
cp "$W/ssh/id.pub" "$W/ssh/authorized_keys"
PORTS=(); for i in $(seq 1 20); do PORTS+=("$(free_port)"); done
sshd_config() { for p in "$@"; do echo "Port $p"; done
  printf 'ListenAddress 127.0.0.1\nHostKey %s\nPidFile none\nAuthorizedKeysFile %s\nPermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nUseDNS no\nStrictModes no\nMaxSessions 100\nMaxStartups 100:30:200\n' "$W/ssh/host" "$W/ssh/authorized_keys"; }
sshd_config "${PORTS[@]:0:16}" > "$W/ssh/sshd_config"
sshd_config "${PORTS[@]:16}" > "$W/ssh/sshd_config2"
for p in "${PORTS[@]}"; do echo "[127.0.0.1]:$p $(cut -d' ' -f1,2 "$W/ssh/host.pub")"; done > "$W/ssh/known_hosts"
/usr/sbin/sshd -D -e -f "$W/ssh/sshd_config" 2>"$W/sshd.log" & SSHD_PID=$!
/usr/sbin/sshd -D -e -f "$W/ssh/sshd_config2" 2>"$W/sshd2.log" & SSHD_PID="$SSHD_PID $!"
sleep 1

ssh_target() { echo "{host: 127.0.0.1, port: $1, user: root, identity_file: $W/ssh/id, known_hosts: $W/ssh/known_hosts}"; }
group() { # name, members: one profile group, member i on port i
  echo "  $1:"; echo "    group:"
  echo "      shape: {postgres: {host: $W, port: $PGPORT, user: postgres, bin_dir: $PG}}"
  echo "      ssh: {host: 127.0.0.1, user: root, identity_file: $W/ssh/id, known_hosts: $W/ssh/known_hosts}"
  echo "      members:"
  for i in $(seq 1 "$2"); do printf '        %s_%02d: {port: %s}\n' "$1" "$i" "${PORTS[$((i-1))]}"; done; }
{ echo "profile: bench"; echo "targets:"
  echo "  hdb01: {ssh: $(ssh_target "${PORTS[0]}")}"
  echo "  db01: {postgres: {via: ssh, ssh: hdb01, host: $W, port: $PGPORT, user: postgres, bin_dir: $PG}}"
  for m in 4 8 20; do group "fleet$m" "$m"; done; } > "$W/profile.yaml"
mkdir -p "$W/runbooks"
cat > "$W/runbooks/dump.yaml" <<YAML
runbook: dump
summary: one dump over ssh
params: {dir: {type: path}}
requires: [db01]
steps:
  - {id: dump, action: postgres.dump, with: {target: db01, database: bench, dir: "\${params.dir}", format: custom, name: bench}}
YAML
steps_runbook() { # N trivial remote steps
  { echo "runbook: steps$1"; echo "summary: $1 trivial remote steps"; echo "requires: [hdb01]"; echo "steps:"
    for i in $(seq 1 "$1"); do echo "  - {id: s$i, action: shell.run, with: {host: hdb01, command: \"true\"}}"; done; } > "$W/runbooks/steps$1.yaml"; }
steps_runbook 1; steps_runbook 51
fleet_runbook() { # members, parallel: a loop over the profile group fleetN
  { echo "runbook: fleet$1x$2"; echo "summary: fleet"; echo "params: {dir: {type: path}}"
    echo "requires: [fleet$1]"; echo "steps:"
    echo "  - {id: backup, for_each: \"\${targets.fleet$1.members}\", as: h, parallel: $2, action: postgres.dump, with: {target: \"\${h}\", database: small, dir: \"\${params.dir}/\${h}\", format: custom, name: small}}"
  } > "$W/runbooks/fleet$1x$2.yaml"; }
rb() { "$BIN" "$@" --profile "$W/profile.yaml" --runbooks-dir "$W/runbooks" --state-dir "$W/state" --yes >/dev/null; }

CTL=$W/ctl; mkdir -m 700 "$CTL"
SSH=(ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=$W/ssh/known_hosts -i $W/ssh/id -o IdentitiesOnly=yes -o ControlPath=$CTL/%C -p "${PORTS[0]}" -l root)
"${SSH[@]}" -f -N -o ControlMaster=yes -o ControlPersist=yes 127.0.0.1

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {if (NR%2) printf "%.3f", v[(NR+1)/2]; else printf "%.3f", (v[NR/2]+v[NR/2+1])/2}'; }
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== 1. dump of bench (${SIZE_MB} MB of rows) over ssh, $REPS runs each, alternating"
by_hand=(); runbook=()
for r in $(seq 1 "$REPS"); do
  t0=$(now); "${SSH[@]}" -T 127.0.0.1 "$PG/pg_dump -h $W -p $PGPORT -U postgres -w -Fc -d bench" > "$W/hand.dump"; t1=$(now)
  by_hand+=("$(echo "$t1 - $t0" | bc)"); rm -f "$W/hand.dump"
  t0=$(now); rb run dump --param dir="$W/out$r"; t1=$(now)
  runbook+=("$(echo "$t1 - $t0" | bc)"); rm -rf "$W/out$r"
done
H=$(median "${by_hand[@]}"); R=$(median "${runbook[@]}")
echo "ssh host pg_dump -Fc > file: ${by_hand[*]} s (median $H)"
echo "runbook postgres.dump via ssh: ${runbook[*]} s (median $R)"
echo "ratio (medians): $(echo "scale=3; $R / $H" | bc); per round: $(for i in "${!by_hand[@]}"; do printf '%s ' "$(echo "scale=3; ${runbook[$i]} / ${by_hand[$i]}" | bc)"; done)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== 2. per-step overhead of a trivial remote step, warm connection"
a=(); b=(); raw=(); extra=()
for r in $(seq 1 "$REPS"); do  # each round: 50 raw commands, 1 step, 51 steps
  t0=$(now); for i in $(seq 1 50); do "${SSH[@]}" -T 127.0.0.1 true; done; t1=$(now); raw+=("$(echo "scale=1; ($t1 - $t0) * 1000 / 50" | bc)")
  t0=$(now); rb run steps1; t1=$(now); a+=("$(echo "$t1 - $t0" | bc)")
  t0=$(now); rb run steps51; t1=$(now); b+=("$(echo "$t1 - $t0" | bc)")
  extra+=("$(echo "scale=1; (${b[-1]} - ${a[-1]}) * 1000 / 50" | bc)")
done
echo "raw ssh -S (mux) host true, ms per command: ${raw[*]} (median $(median "${raw[@]}"))"
echo "runbook, ms per extra step: ${extra[*]} (median $(median "${extra[@]}")); 1 step ${a[*]} s, 51 steps ${b[*]} s"
echo "runbook minus raw, per round (ms): $(for i in "${!raw[@]}"; do printf '%s ' "$(echo "${extra[$i]} - ${raw[$i]}" | bc)"; done)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
"${SSH[@]}" -O exit 127.0.0.1 2>/dev/null || true

echo "== 3. fleet wall time (one small dump per member)"
psql -d postgres -c "CREATE DATABASE small"
psql -d small -c "CREATE TABLE t AS SELECT g, md5(g::text) FROM generate_series(1, 20000) g"
for mp in "4 1" "8 1" "20 1" "4 4" "8 4" "20 4" "20 8"; do
  set -- $mp
  fleet_runbook "$1" "$2"
  t0=$(now); rb run "fleet$1x$2" --param dir="$W/fleet$1x$2"; t1=$(now)
  echo "members $1, parallel $2: $(echo "scale=2; ($t1 - $t0)/1" | bc) s (load $(cut -d' ' -f1 /proc/loadavg))"
done
