#!/usr/bin/env bash
# Runs the unit tests again with the wall clock 400 days ahead and 400 days back
# (libfaketime; the monotonic clock is left alone so timeouts still work), so a test that
# mixes a fixed date with the machine's date fails today rather than on some later day.
# Run after `tsc -p .` (npm test does both).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v faketime >/dev/null 2>&1; then
  echo "test-dates: faketime is missing (Debian package faketime; scripts/test-deps.sh installs it)" >&2
  exit 1
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for shift in +400d -400d; do
  if DONT_FAKE_MONOTONIC=1 faketime -f "$shift" npx mocha --no-config --timeout 60000 \
    --reporter ./scripts/mocha-reporter.cjs 'dist/test/unit/**/*.test.js' >"$out" 2>&1; then
    echo "test-dates: clock at $shift: $(tail -n 1 "$out")"
  else
    cat "$out"
    echo "test-dates: the unit tests fail with the clock at $shift: a test mixes a fixed date with the wall clock" >&2
    exit 1
  fi
done
