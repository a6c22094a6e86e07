#!/usr/bin/env bash
# The request path's cost per order in instructions, for comparing builds
# on a machine whose CPU time moves with its other load. Each server binary
# runs under callgrind (--sim fast, sync), takes `orders` market orders from
# oee-loadgen over 8 connections, and is stopped once its executor is idle.
# Prints the instructions per order of the whole process and of the HTTP
# threads (everything run under HttpServer::run_thread: parsing, routing,
# the append's hand-off, the answer), the log writer and the executor.
# Instructions leave out the kernel (sockets, fsync): count its calls with
# `perf trace -s -p PID` under the same load. With KEEP_PROFILES=DIR the
# callgrind files (one per thread) are copied there, for callgrind_annotate.
#
#   bench/request_instructions.sh [orders] [server binary...]
#     (default 2000 orders and build/bin/oee-server)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind > /dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 2; }
source bench/server_cpu.sh  # start_fast, wait_idle
orders=${1:-2000}; shift $(( $# > 0 ? 1 : 0 )) || true
servers=("$@"); [ ${#servers[@]} -gt 0 ] || servers=(build/bin/oee-server)

for server in "${servers[@]}"; do
  dir=$(mktemp -d)
  pid=""
  trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
  start_fast "$server" "$dir" valgrind --tool=callgrind --instr-atstart=no --separate-threads=yes \
    --callgrind-out-file="$dir/callgrind.out" || exit 1
  callgrind_control -i on "$pid" > /dev/null 2>&1
  build/bin/oee-loadgen --target "$url" --connections 8 --orders "$orders" --duration 3600 --drain 0 --json \
    > /dev/null
  wait_idle "${url##*:}" "$pid" || exit 1
  callgrind_control -i off "$pid" > /dev/null 2>&1
  kill "$pid"; wait "$pid" 2>/dev/null || true  # callgrind writes its counts as the server exits
  # One file per thread, told apart by what it runs.
  for f in "$dir"/callgrind.out*; do
    total=$(awk '/^totals:/ {print $2}' "$f")
    if grep -q 'writer_loop' "$f"; then echo "writer ${total:-0}"
    elif grep -q 'start_executor_thread' "$f"; then echo "executor ${total:-0}"
    elif grep -q 'HttpServer' "$f"; then echo "http ${total:-0}"
    else echo "other ${total:-0}"; fi
  done | awk -v n="$orders" -v s="$server" '
      { by[$1] += $2; all += $2 }
      END {
        printf "%s: %.0f instructions per order; HTTP threads %.0f, log writer %.0f, executor %.0f, other %.0f\n",
               s, all / n, by["http"] / n, by["writer"] / n, by["executor"] / n, by["other"] / n }'
  if [ -n "${KEEP_PROFILES:-}" ]; then cp "$dir"/callgrind.out* "$KEEP_PROFILES"/; fi
  rm -rf "$dir"
  trap - EXIT
done
