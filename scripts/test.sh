#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, and runs every test.
# Integration suites start their own servers (PostgreSQL 15, SeaweedFS, rclone, dockerd)
# on loopback and stop them when they finish.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
swift build --build-tests
# The binary the CLI tests drive.
export RUNBOOK_BIN="$PWD/.build/debug/runbook"
swift test --skip-build "$@"
