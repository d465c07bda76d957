#!/usr/bin/env bash
# Runs ctest with the given arguments, then prints each test binary's own summary (doctest's
# "test cases" and "assertions" lines, the Lua runner's "passed/failed" line) and a final
# "N passed, N failed" line, so the end of the output says what ran.
set -uo pipefail
build="$1"; shift
ctest --test-dir "$build" --output-on-failure "$@"
rc=$?
log="$build/Testing/Temporary/LastTest.log"
if [ -f "$log" ]; then
  echo
  echo "Per-binary summaries:"
  awk '/^[0-9]+\/[0-9]+ Testing: /{name=$3}
       /^\[doctest\] (test cases|assertions):/ || /^lua[0-9.]*: [0-9]+ passed, [0-9]+ failed/ {
         printf "  %-34s %s\n", name, $0 }' "$log"
  passed=$(grep -c '^Test Passed\.' "$log" || true)
  total=$(ctest --test-dir "$build" -N "$@" 2>/dev/null | grep -Eo 'Total Tests: [0-9]+' | grep -Eo '[0-9]+' || echo 0)
  failed=$(( total - passed ))
  echo
  echo "ctest: $passed passed, $failed failed"
fi
exit $rc
