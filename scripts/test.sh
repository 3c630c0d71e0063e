#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, and runs every test.
# Integration suites start their own servers (PostgreSQL 15, SeaweedFS, rclone, dockerd)
# on loopback and stop them when they finish. Extra arguments go to `swift test`
# (e.g. `bash scripts/test.sh --filter PlannerTests`).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
swift build --build-tests
# The binary the CLI tests drive.
export RUNBOOK_BIN="$PWD/.build/debug/runbook"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
# All tests are XCTest; Swift Testing would only add a "0 tests" line.
swift test --skip-build --disable-swift-testing "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# XCTest's last summary line ("Executed N tests, with F failures") as the plain closing line.
summary=$(grep -E "Executed [0-9]+ tests?, with [0-9]+ failures?" "$log" | tail -1 || true)
if [ -n "$summary" ]; then
  total=$(sed -E 's/.*Executed ([0-9]+) tests?.*/\1/' <<<"$summary")
  failed=$(sed -E 's/.*with ([0-9]+) failures?.*/\1/' <<<"$summary")
  skipped=$(grep -cE "Test Case .* skipped" "$log" || true)
  echo "tests: $((total - failed - skipped)) passed, $failed failed, $skipped skipped"
fi
exit "$status"
