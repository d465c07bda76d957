#!/usr/bin/env bash
# Runs every bench program built into <build dir>/bench, one after the other (they load the
# machine; running them together would measure each other). Benches print figures and ratios
# and never fail on timing; a bench that cannot start is reported and the others still run.
set -uo pipefail
build="${1:?usage: bench/run.sh <build dir>}"
dir="$build/bench"
failed=0
for program in $(find "$dir" -maxdepth 1 -type f -executable | sort); do
  echo "== $(basename "$program")"
  "$program"
  rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "== $(basename "$program") could not run (exit $rc)"
    failed=$((failed + 1))
  fi
done
echo "== benches done ($failed could not run)"
