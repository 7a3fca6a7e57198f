#!/usr/bin/env bash
# Runs the whole test suite (ava, TAP output) and ends with one plain line: "N passed, N failed".
# First makes sure the real peers (kube-apiserver, calicoctl; peers/README.md) are built: a no-op
# when they are. Without Go the build fails, the suite still runs, and every real-peer test fails
# saying how to build them (nothing is skipped).
# Extra arguments go to ava (e.g. a test file). Exit status is ava's.
set -uo pipefail
cd "$(dirname "$0")/.."
if ! node peers/build.mjs >&2; then
  echo "warning: the real peers could not be built (see above); the real-peer suites will fail" >&2
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
npm run --silent build >&2 || { echo "the build (npm run build: tsc, then scripts/bundle.mjs) failed" >&2; exit 1; }
npx ava --tap "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
pass=$(awk '/^# pass /{print $3}' "$log")
fail=$(awk '/^# fail /{print $3}' "$log")
skip=$(awk '/^# skip /{print $3}' "$log")
line="${pass:-0} passed, ${fail:-0} failed"
[ -n "${skip:-}" ] && [ "${skip}" != "0" ] && line="$line, ${skip} skipped"
echo "$line"
exit "$rc"
