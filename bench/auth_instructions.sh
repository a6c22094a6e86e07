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
admin=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

# The server of this run: stopped and its data removed. (A RETURN trap does
# not fire for a function run in a command substitution.)
stop() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"; }

one_run() {  # mode -> prints instructions per order
  local mode=$1 dir pid url key=() args=()
  dir=$(mktemp -d)
  [ "$mode" = on ] && args=(--admin-key "$admin")
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$dir/callgrind.out" \
    build/bin/oee-server --data-dir "$dir/data" --port 0 --sim fast --log-level warn "${args[@]}" \
    > "$dir/out" 2> "$dir/err" &
  pid=$!
  for _ in $(seq 600); do grep -q LISTENING "$dir/out" 2>/dev/null && break; sleep 0.2; done
  grep -q LISTENING "$dir/out" || { echo "the server did not start: $(cat "$dir/err")" >&2; stop; return 1; }
  url="http://127.0.0.1:$(sed -n 's/^LISTENING .*:\([0-9]*\)$/\1/p' "$dir/out")"
  if [ "$mode" = on ]; then
    key=(--api-key "$(curl -fsS -X POST "$url/api/keys" -H "Authorization: Bearer $admin" \
      -H 'Content-Type: application/json' -d '{"name":"bench","scopes":["orders:write"]}' |
      sed -n 's/.*"key":"\([^"]*\)".*/\1/p')")
  fi
  callgrind_control -i on "$pid" > /dev/null 2>&1
  build/bin/oee-loadgen --target "$url" --connections 8 --orders "$orders" --duration 3600 --drain 0 --json \
    "${key[@]}" > /dev/null
  for _ in $(seq 3000); do
    case "$(curl -s "$url/health")" in *'"inFlight":0,"waiting":0'*) break ;; esac
    sleep 0.2
  done
  callgrind_control -i off "$pid" > /dev/null 2>&1
  kill "$pid"; wait "$pid" 2>/dev/null || true  # callgrind writes its counts as the server exits
  cat "$dir"/callgrind.out* | awk -v n="$orders" '/^totals:/ {s += $2} END {printf "%.0f\n", s / n}'
  stop
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
