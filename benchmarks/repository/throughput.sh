#!/usr/bin/env bash
# Repository push/pull and s3.mirror against rclone, on one `rclone serve s3` on loopback, same
# files, same run (issue 17's throughput targets).
#
#   benchmarks/repository/throughput.sh         # release build first (several minutes the first time)
#   RUNBOOK_BENCH_BIG_BYTES=1073741824 RUNBOOK_BENCH_MID_BYTES=209715200 RUNBOOK_BENCH_ROUNDS=3 benchmarks/repository/throughput.sh
#
# Cases, each the wall time of a whole process (medians over the rounds):
#   - a 1 GiB file: `repo-bench push` (sha256 + age encryption + multipart upload + manifest: what
#     a backup's offsite push runs) against `rclone copyto` of the same file in plaintext;
#   - a 200 MiB file, up and down: `repo-bench push` / `repo-bench pull` (download, decrypt, check
#     both sha256, rename) and `runbook run benchmarks/s3/mirror.yaml` (s3.mirror of a directory
#     holding the file) against `rclone copyto` up and down; downloads also against `rclone copyto`
#     followed by `sync FILE`, the durability ours give, and s3.mirror down writing a manifest,
#     which costs a SHA-256 of every byte that copyto does not compute (both informational, no target).
# Ratios are throughput ratios, ours / rclone (= rclone's seconds / ours), so >= 1 is "as fast".
# Peak RSS is GNU time's "Maximum resident set size" of the push process.
#
# Needs: rclone, age-keygen, GNU time (/usr/bin/time), python3, swift. Only 127.0.0.1 is used;
# the server and all data (under /tmp, on disk like a dump) are removed on exit.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
big=${RUNBOOK_BENCH_BIG_BYTES:-1073741824}
mid=${RUNBOOK_BENCH_MID_BYTES:-209715200}
rounds=${RUNBOOK_BENCH_ROUNDS:-3}
# RUNBOOK_BENCH_ONLY=down: only the 200 MiB downloads (the object is pushed once, untimed), for
# iterating on the download path; the table then lists only those cases.
only=${RUNBOOK_BENCH_ONLY:-}

for tool in rclone age-keygen /usr/bin/time python3 swift; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 2; }
done

cd "$root"
if [ -z "${RUNBOOK_BENCH_SKIP_BUILD:-}" ]; then
  swift build -c release --product runbook --scratch-path "$root/.build-release" >&2
  swift build -c release --product repo-bench --scratch-path "$root/.build-release" >&2
fi
runbook="$root/.build-release/release/runbook"
repo_bench="$root/.build-release/release/repo-bench"
[ -x "$runbook" ] && [ -x "$repo_bench" ] || { echo "bench: release binaries missing under .build-release" >&2; exit 2; }

work=$(mktemp -d /tmp/runbook-throughput.XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
access="bench-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
secret="secret-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
endpoint="http://127.0.0.1:$port"
mkdir -p "$work/data"
RCLONE_AUTH_KEY="\"$access,$secret\"" rclone serve s3 --addr "127.0.0.1:$port" "$work/data" --config /dev/null \
  >"$work/server.log" 2>&1 &
server_pid=$!

# rclone as a client: a remote named `bench` defined by environment variables only.
export RCLONE_CONFIG=/dev/null RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other \
  RCLONE_CONFIG_BENCH_ENDPOINT="$endpoint" RCLONE_CONFIG_BENCH_ACCESS_KEY_ID="$access" \
  RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY="$secret" RCLONE_CONFIG_BENCH_REGION=us-east-1
for _ in $(seq 100); do rclone lsd bench: >/dev/null 2>&1 && break; sleep 0.1; done
for b in rclone ours mirror-src; do rclone mkdir "bench:$b"; done

age-keygen -o "$work/key.txt" 2>/dev/null
export REPO_BENCH_ENDPOINT=$endpoint REPO_BENCH_BUCKET=ours REPO_BENCH_ACCESS_KEY=$access REPO_BENCH_SECRET_KEY=$secret \
  REPO_BENCH_RECIPIENT=$(age-keygen -y "$work/key.txt") REPO_BENCH_IDENTITY_FILE="$work/key.txt"
. "$root/benchmarks/s3/profile.sh"
write_mirror_profile "$endpoint" "$work/profile.yaml"
export RUNBOOK_S3_BENCH_ACCESS_KEY=$access RUNBOOK_S3_BENCH_SECRET_KEY=$secret NO_COLOR=1

mkdir -p "$work/big" "$work/mid"
[ "$only" = down ] || head -c "$big" /dev/urandom >"$work/big/dump.bin"
head -c "$mid" /dev/urandom >"$work/mid/object.bin"
mid_sha=$(sha256sum "$work/mid/object.bin" | cut -d' ' -f1)
# The source of the mirror-down case: the same bytes, put there by rclone.
rclone copyto "$work/mid/object.bin" bench:mirror-src/object.bin

# timed NAME COMMAND...: appends "NAME wall_seconds max_rss_kb user_seconds system_seconds" to $work/times.
# Each case starts with no dirty pages (an untimed `sync`): a case must not pay for the writeback
# of the gigabyte the case before it left in the page cache, which costs a writer that fsyncs
# (our downloads) more than one that does not (rclone copyto, the server).
timed() {
  local name=$1; shift
  sync
  /usr/bin/time -f "$name %e %M %U %S" -a -o "$work/times" "$@" >"$work/out.txt" 2>&1 || { cat "$work/out.txt" >&2; exit 1; }
}
mirror=("$runbook" run "$root/benchmarks/s3/mirror.yaml" --profile "$work/profile.yaml" --yes --state-dir "$work/state")
same() { [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ] || { echo "bench: $1 differs from the original" >&2; exit 1; }; }

# downloads OBJECT ROUND: the 200 MiB object (pushed under OBJECT by rclone and by repo-bench)
# down through rclone, the repository and s3.mirror, each checked against the original and then
# removed. Removing each copy before the next case matters on this VM: the kernel hands a writer
# the page-cache pages freed last first, and those are already backed by the host, while older
# free memory has been handed back (balloon free page reporting) and faults in on the host as it
# is first written. Keeping every copy until the round's end gave the round's first case
# (rclone) the warm pages and every later one (ours) cold ones: the same binary's s3.mirror
# used 0.73-0.86 s of CPU there against 0.58 s right after a removal.
downloads() {
  local object=$1 round=$2
  # Untimed: `rclone serve s3` computes an object's MD5 (its ETag) the first time the object is
  # listed or read, unless it kept one from the upload: 0.33 s of its CPU for 200 MiB that it
  # kept for rclone's multipart uploads but not for ours. A listing makes both objects equal.
  rclone lsf -R bench:rclone >/dev/null; rclone lsf -R bench:ours >/dev/null
  # Untimed: so that the first case too starts right after a 200 MiB copy was removed, as every
  # later one does.
  rclone copyto "bench:rclone/$object" "$work/warm-$round.bin"; rm -f "$work/warm-$round.bin"
  timed rclone-down-mid    rclone copyto "bench:rclone/$object" "$work/rclone-down-$round.bin"
  same "$work/rclone-down-$round.bin" "$mid_sha"; rm -f "$work/rclone-down-$round.bin"
  # rclone never fsyncs what it downloads; ours do, before the rename. The same durability for
  # rclone: its copy, then `sync FILE` (fsync of that file), timed together. Informational only:
  # the targets are against plain copyto.
  timed rclone-down-synced bash -c 'rclone copyto "$1" "$2" && sync "$2"' - "bench:rclone/$object" "$work/rclone-synced-$round.bin"
  same "$work/rclone-synced-$round.bin" "$mid_sha"; rm -f "$work/rclone-synced-$round.bin"
  timed ours-pull-mid      "$repo_bench" pull "objects/$object" "$work/ours-down-$round.bin"
  same "$work/ours-down-$round.bin" "$mid_sha"; rm -f "$work/ours-down-$round.bin"
  timed mirror-down-mid    "${mirror[@]}" --param from=s3://mirror-src --param "to=$work/mirror-down-$round"
  same "$work/mirror-down-$round/object.bin" "$mid_sha"; rm -rf "$work/mirror-down-$round"
  # The same with a manifest, which records each object's SHA-256: a second hash of every byte.
  timed mirror-down-manifest "${mirror[@]}" --param from=s3://mirror-src --param "to=$work/mirror-down-$round" \
    --param "manifest=$work/mirror-manifest-$round.json"
  same "$work/mirror-down-$round/object.bin" "$mid_sha"; rm -rf "$work/mirror-down-$round"
  grep -q "\"$mid_sha\"" "$work/mirror-manifest-$round.json" || { echo "bench: the manifest lacks the object's sha256" >&2; exit 1; }
  rm -f "$work/mirror-manifest-$round.json"
}

if [ "$only" != down ]; then
  for round in $(seq "$rounds"); do
    timed rclone-push-big    rclone copyto "$work/big/dump.bin" "bench:rclone/dump-$round.bin"
    timed ours-push-big      "$repo_bench" push "dumps/dump-$round.bin" "$work/big/dump.bin"
    timed rclone-up-mid      rclone copyto "$work/mid/object.bin" "bench:rclone/object-$round.bin"
    timed ours-push-mid      "$repo_bench" push "objects/object-$round.bin" "$work/mid/object.bin"
    rclone mkdir "bench:mirror-up-$round"
    timed mirror-up-mid      "${mirror[@]}" --param "from=$work/mid" --param "to=s3://mirror-up-$round"
    rclone purge "bench:mirror-up-$round"
  done
fi
# The downloads run after all the uploads rather than between them: right after a 1 GiB push,
# the first download of a round ran while the VM was still taking memory back, and paid for it.
rclone copyto "$work/mid/object.bin" "bench:rclone/object.bin"
"$repo_bench" push "objects/object.bin" "$work/mid/object.bin" >/dev/null
for round in $(seq "$rounds"); do
  downloads object.bin "$round"
done

echo "throughput benchmark: $(nproc) cores, $(rclone version | head -1), load average $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$work/times" "$big" "$mid" "$rounds" <<'PY'
import statistics, sys
path, big, mid, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
runs = {}
for line in open(path):
    parts = line.split()
    if len(parts) == 5:
        runs.setdefault(parts[0], []).append((float(parts[1]), int(parts[2]), float(parts[3]) + float(parts[4])))
wall = lambda n: statistics.median(r[0] for r in runs[n])
rss = lambda n: max(r[1] for r in runs[n]) / 1024
cpu = lambda n: statistics.median(r[2] for r in runs[n])
print("per round, wall seconds (CPU seconds, user + system):")
for name, rs in runs.items():
    print(f"  {name}: " + ", ".join(f"{r[0]:.2f} ({r[2]:.2f})" for r in rs))
print(f"{rounds} rounds, medians of wall seconds; ratio = rclone seconds / ours (throughput, ours vs rclone, same run)")
print("| case | rclone s | rclone MiB/s | ours s | ours MiB/s | ratio | target | our peak RSS MiB | CPU s rclone / ours |")
print("|---|---|---|---|---|---|---|---|---|")
cases = [
    (f"push {big / 2**20:.0f} MiB encrypted vs plaintext copyto", "rclone-push-big", "ours-push-big", big, 0.9),
    (f"repository push {mid / 2**20:.0f} MiB vs copyto up", "rclone-up-mid", "ours-push-mid", mid, 1.0),
    (f"repository pull {mid / 2**20:.0f} MiB vs copyto down", "rclone-down-mid", "ours-pull-mid", mid, 1.0),
    (f"s3.mirror up {mid / 2**20:.0f} MiB vs copyto up", "rclone-up-mid", "mirror-up-mid", mid, 1.0),
    (f"s3.mirror down {mid / 2**20:.0f} MiB vs copyto down", "rclone-down-mid", "mirror-down-mid", mid, 1.0),
    (f"s3.mirror down {mid / 2**20:.0f} MiB, writing a manifest (+ sha256), vs copyto down", "rclone-down-mid", "mirror-down-manifest", mid, None),
    (f"repository pull {mid / 2**20:.0f} MiB vs copyto down + fsync", "rclone-down-synced", "ours-pull-mid", mid, None),
    (f"s3.mirror down {mid / 2**20:.0f} MiB vs copyto down + fsync", "rclone-down-synced", "mirror-down-mid", mid, None),
]
for label, peer, ours, size, target in cases:
    if ours not in runs:
        continue
    ratio = wall(peer) / wall(ours)
    verdict = "(no target)" if target is None else f">= {target} {'ok' if ratio >= target else 'MISSED'}"
    print(f"| {label} | {wall(peer):.2f} | {size / 2**20 / wall(peer):.0f} | {wall(ours):.2f} | {size / 2**20 / wall(ours):.0f} "
          f"| {ratio:.2f} | {verdict} | {rss(ours):.1f} | {cpu(peer):.2f} / {cpu(ours):.2f} |")
PY
