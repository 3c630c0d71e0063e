#!/usr/bin/env bash
# Measures `runbook validate` and `runbook plan` on a release build (issue 2's speed targets):
#   - runbooks/ (the shipped runbooks and profiles): median < 50 ms;
#   - `runbook plan disaster-recovery --profile production` (it reads 5 nested runbooks): median < 50 ms;
#   - 1,000 generated runbooks x 30 steps: median < 1 s, growing linearly (250 / 500 / 1,000).
# Baseline measured in the same run: `runbook --version` (process start-up only).
# Uses hyperfine when installed (apt-get install hyperfine), else a Python timing loop.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
RUNS=${RUNS:-15}
WORK=$(mktemp -d /tmp/runbook-bench-validate.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# A scratch path of its own, so a release build never waits on (or evicts) the debug one.
SCRATCH=${SCRATCH:-.build-release}
swift build -c release --static-swift-stdlib --product runbook --scratch-path "$SCRATCH" >&2
BIN="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/runbook"

for n in 250 500 1000; do
  python3 benchmarks/validate/generate.py "$BIN" "$WORK/gen-$n/runbooks" "$n" 30 >&2
  # A benchmark of inputs that fail would measure error rendering, not validation.
  if ! "$BIN" validate "$WORK/gen-$n/runbooks" >/dev/null 2>"$WORK/err"; then
    echo "generated runbooks do not validate:" >&2; "$BIN" validate "$WORK/gen-$n/runbooks" | head -20 >&2; exit 1
  fi
done

median_ms() {  # name, command...
  local name=$1; shift
  if command -v hyperfine >/dev/null; then
    hyperfine --style none --warmup 2 --runs "$RUNS" -i --export-json "$WORK/$name.json" "$*" >/dev/null 2>&1
    python3 -c "import json,sys; print('%.2f' % (json.load(open(sys.argv[1]))['results'][0]['median']*1000))" "$WORK/$name.json"
  else
    python3 - "$RUNS" "$@" <<'PY'
import statistics, subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
for _ in range(2): subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
times = []
for _ in range(runs):
    t = time.perf_counter(); subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); times.append(time.perf_counter() - t)
print('%.2f' % (statistics.median(times) * 1000))
PY
  fi
}

base=$(median_ms baseline "$BIN" --version)
# The shipped runbooks/ (with profiles/ beside it, as `runbook validate` reads by default).
# Until they exist, a stand-in of the same size is measured: 15 runbooks x 15 steps.
shipped="n/a"
if [ -d runbooks ] && ls runbooks/*.yaml >/dev/null 2>&1; then
  shipped=$(median_ms shipped "$BIN" validate --runbooks-dir runbooks)
fi
plan=$(median_ms plan "$BIN" plan disaster-recovery --profile production)
python3 benchmarks/validate/generate.py "$BIN" "$WORK/standin/runbooks" 15 15 >&2
standin=$(median_ms standin "$BIN" validate "$WORK/standin/runbooks")
t250=$(median_ms g250 "$BIN" validate "$WORK/gen-250/runbooks")
t500=$(median_ms g500 "$BIN" validate "$WORK/gen-500/runbooks")
t1000=$(median_ms g1000 "$BIN" validate "$WORK/gen-1000/runbooks")

# CPU time (user + sys) of one run each: on a loaded machine wall time also counts waiting.
cpu_ms() {
  python3 - "$@" <<'PY'
import resource, subprocess, sys
before = resource.getrusage(resource.RUSAGE_CHILDREN)
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
after = resource.getrusage(resource.RUSAGE_CHILDREN)
print('%.0f' % ((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000))
PY
}
c1000=$(cpu_ms "$BIN" validate "$WORK/gen-1000/runbooks")
cstandin=$(cpu_ms "$BIN" validate "$WORK/standin/runbooks")
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "cpu time (user+sys): 1000 x 30: ${c1000} ms; stand-in: ${cstandin} ms"

python3 - "$base" "$shipped" "$standin" "$t250" "$t500" "$t1000" "$(nproc)" "$plan" <<'PY'
import sys
base, shipped, standin, t250, t500, t1000, cores, plan = sys.argv[1:]
base, t250, t500, t1000 = map(float, (base, t250, t500, t1000))
print(f"runbook validate and plan, release build, median wall time ({cores} cores)")
print(f"  baseline (runbook --version)      {base:8.2f} ms")
print(f"  runbooks/ + profiles/             {shipped:>8} ms   target < 50 ms")
print(f"  plan disaster-recovery            {float(plan):8.2f} ms   target < 50 ms")
print(f"  stand-in: 15 runbooks x 15 steps  {float(standin):8.2f} ms   target < 50 ms")
for n, t in ((250, t250), (500, t500), (1000, t1000)):
    print(f"  {n:5d} runbooks x 30 steps         {t:8.2f} ms   {(t - base) / n * 1000:7.1f} us/runbook above baseline")
print(f"  1,000 x 30 target < 1000 ms: {'met' if t1000 < 1000 else 'MISSED'}")
print(f"  growth: t(500)/t(250) = {t500 / t250:.2f}, t(1000)/t(500) = {t1000 / t500:.2f} (2.00 is linear)")
print(f"  above baseline: {(t500 - base) / (t250 - base):.2f}, {(t1000 - base) / (t500 - base):.2f}")
PY
