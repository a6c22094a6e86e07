#!/usr/bin/env bash
# Runs ctest in build directory $1 with the remaining arguments, and ends
# with how many tests were skipped and why, so that a machine that cannot
# run some (no mount capability, no root) says so instead of passing quietly.
set -uo pipefail
# tests/resources.json: how many of the tests that take a NATS cluster run at once.
resources=$(realpath "$(dirname "$0")/../tests/resources.json")
dir=$1
shift
cd "$dir" || exit 2
ctest --resource-spec-file "$resources" "$@" 2>&1 | tee ctest-output.log
status=${PIPESTATUS[0]}
skipped=$(grep -c '(Skipped)$' ctest-output.log)
echo "skipped: $skipped test(s)"
if [ "$skipped" -gt 0 ]; then
  # Why, as the tests said it (gtest prints the reason after "file:line: Skipped").
  grep -h -A1 ': Skipped$' Testing/Temporary/LastTest.log 2>/dev/null | grep -v -e '^--$' -e ': Skipped$' |
    sort | uniq -c
fi
exit "$status"
