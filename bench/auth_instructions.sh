#!/usr/bin/env bash
# What authentication costs per order, in instructions: the same load as
# bench/auth_cost.sh, with the server under callgrind, counting the
# instructions it executes from the first submit until the executor is
# idle. Instructions, unlike CPU time, do not move with the machine's
# other load, so on/off is exact to a few tenths of a percent; they leave
# out the kernel (fsync, sockets) and valgrind runs the generic code
# paths (no SHA extensions), so they overstate what authentication adds
# to CPU time.
#
#   bench/auth_instructions.sh [orders] [rounds]     (default 1000 and 2)
set -euo pipefail
cd "$(dirname "$0")/.."
orders=${1:-1000}; rounds=${2:-2}
command -v valgrind > /dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 2; }
source bench/auth_load.sh

one_run() {  # mode -> prints instructions per order
  local dir pid url key counts
  counts=$(mktemp -d)
  start_server "$1" valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$counts/callgrind.out"
  callgrind_control -i on "$pid" > /dev/null 2>&1
  load "$orders" 8
  callgrind_control -i off "$pid" > /dev/null 2>&1
  kill "$pid"; wait "$pid" 2>/dev/null || true  # callgrind writes its counts as the server exits
  cat "$counts"/callgrind.out* | awk -v n="$orders" '/^totals:/ {s += $2} END {printf "%.0f\n", s / n}'
  stop
  rm -rf "$counts"
}

declare -A sums=([off]=0 [on]=0)
for round in $(seq "$rounds"); do
  for mode in off on; do
    ir=$(one_run "$mode")
    echo "round $round, auth $mode: $ir instructions per order"
    sums[$mode]=$((sums[$mode] + ir))
  done
done
awk -v off="${sums[off]}" -v on="${sums[on]}" -v r="$rounds" \
  'BEGIN { printf "mean: off %.0f, on %.0f instructions per order: on/off %.4f\n", off/r, on/r, on/off }'
