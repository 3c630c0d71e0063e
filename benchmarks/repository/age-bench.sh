#!/usr/bin/env bash
# In-process age (our Sources/RunbookActions/Repository/Age, release build) against the `age`
# binary (apt age 1.1.1), same key, same input, same run.
#
#   benchmarks/repository/age-bench.sh              # 1 GiB, 3 rounds
#   RUNBOOK_BENCH_BYTES=536870912 RUNBOOK_BENCH_ROUNDS=5 benchmarks/repository/age-bench.sh
#
# Each case is a whole process reading a file on tmpfs (/dev/shm) from stdin and writing to
# stdout: encrypt to a tmpfs file, decrypt to /dev/null. Times are medians of wall clock and of
# CPU (user + system: steadier than wall clock on a shared machine); RSS is GNU time's "Maximum
# resident set size". The baseline of each ratio is the `age` binary's median in the same run;
# `cat` shows what moving the bytes alone costs.
#
# Needs: age, age-keygen, GNU time (/usr/bin/time), swift; /dev/shm with room for 3x the input.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
bytes=${RUNBOOK_BENCH_BYTES:-1073741824}
rounds=${RUNBOOK_BENCH_ROUNDS:-3}

for tool in age age-keygen /usr/bin/time swift; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 2; }
done

(cd "$root/benchmarks/repository/AgeBench" && swift build -c release >&2)
ours="$root/benchmarks/repository/AgeBench/.build/release/age-bench"

work=$(mktemp -d /dev/shm/runbook-age-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
age-keygen -o "$work/key.txt" 2>/dev/null
recipient=$(age-keygen -y "$work/key.txt")
head -c "$bytes" /dev/urandom > "$work/plain"

# time_case NAME COMMAND...: runs once, appends "NAME seconds rss_kb" to $work/times.
time_case() {
  local name=$1; shift
  /usr/bin/time -f "$name %e %M %U %S" -a -o "$work/times" "$@"
}

for round in $(seq "$rounds"); do
  time_case cat            sh -c 'cat < "$1" > /dev/null' sh "$work/plain"
  time_case age-encrypt    sh -c 'age -r "$1" < "$2" > "$3"' sh "$recipient" "$work/plain" "$work/by-age"
  time_case ours-encrypt   sh -c '"$1" encrypt "$2" < "$3" > "$4"' sh "$ours" "$recipient" "$work/plain" "$work/by-ours"
  time_case age-decrypt    sh -c 'age -d -i "$1" < "$2" > /dev/null' sh "$work/key.txt" "$work/by-age"
  time_case ours-decrypt   sh -c '"$1" decrypt "$2" < "$3" > /dev/null' sh "$ours" "$work/key.txt" "$work/by-ours"
  # Each side's output must decrypt on the other side to the same bytes.
  cmp <(age -d -i "$work/key.txt" < "$work/by-ours") "$work/plain"
  cmp <("$ours" decrypt "$work/key.txt" < "$work/by-age") "$work/plain"
done

python3 - "$work/times" "$bytes" "$rounds" <<'PY'
import statistics, sys
path, size, rounds = sys.argv[1], int(sys.argv[2]), sys.argv[3]
names = ("cat", "age-encrypt", "ours-encrypt", "age-decrypt", "ours-decrypt")
runs = {}
for line in open(path):
    parts = line.split()
    if len(parts) == 5 and parts[0] in names:
        runs.setdefault(parts[0], []).append((float(parts[1]), int(parts[2]), float(parts[3]) + float(parts[4])))
def wall(name): return statistics.median(r[0] for r in runs[name])
def cpu(name): return statistics.median(r[2] for r in runs[name])
def rss(name): return max(r[1] for r in runs[name]) / 1024
print(f"input {size / 2**20:.0f} MiB, {rounds} rounds, medians; ratios = ours / age binary (same run)")
print(f"| case | wall s | MiB/s (wall) | CPU s | peak RSS MiB | wall ratio | CPU ratio |")
print(f"|---|---|---|---|---|---|---|")
for name in names:
    base = {"ours-encrypt": "age-encrypt", "ours-decrypt": "age-decrypt"}.get(name)
    ratios = (f"{wall(name) / wall(base):.2f}", f"{cpu(name) / cpu(base):.2f}") if base else ("", "")
    print(f"| {name} | {wall(name):.2f} | {size / 2**20 / wall(name):.0f} | {cpu(name):.2f} | {rss(name):.1f} | {ratios[0]} | {ratios[1]} |")
PY
