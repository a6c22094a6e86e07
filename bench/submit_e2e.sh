#!/usr/bin/env bash
# Submit throughput and fast-mode end-to-end rate of oee-server.
#
#   bench/submit_e2e.sh [seconds] [connections] [extra oee-server flags...]
#
# Starts build/bin/oee-server (--sim fast, sync durability unless overridden)
# on a free port with a fresh data dir, drives POST /api/orders/execute with
# wrk over keep-alive connections, then waits until every accepted order is
# terminal and reports confirmed orders per second from first submit to the
# last confirmation. Needs wrk (apt-get install wrk). Figures, not tests.
# With DATABASE_URL set, the server also projects into PostgreSQL and the
# script samples the projection lag (/health) every 200 ms during the run.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}; conns=${2:-64}; shift $(( $# > 2 ? 2 : $# )) || true
command -v wrk >/dev/null || { echo "bench needs wrk: apt-get install wrk" >&2; exit 2; }
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
db_args=()
[ -n "${DATABASE_URL:-}" ] && db_args=(--database-url "$DATABASE_URL")
build/bin/oee-server --data-dir "$dir/data" --port 0 --sim fast --log-level warn "${db_args[@]}" "$@" > "$dir/out" 2> "$dir/err" &
pid=$!
for _ in $(seq 100); do grep -q LISTENING "$dir/out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/^LISTENING .*:\([0-9]*\)$/\1/p' "$dir/out")
url="http://127.0.0.1:$port"
if [ -n "${DATABASE_URL:-}" ]; then
  ( while kill -0 $pid 2>/dev/null; do
      curl -s "$url/health" | sed -n 's/.*"lagSeconds":\([0-9.eE+-]*\).*/\1/p'; echo
      sleep 0.2
    done > "$dir/lag" ) &
fi
start=$(date +%s.%N)
wrk -t2 -c"$conns" -d"${secs}s" --latency -s bench/submit.lua "$url" | tee "$dir/wrk"
# Wait for the executor to drain, then read the counters.
while :; do
  h=$(curl -s "$url/health")
  case "$h" in *'"inFlight":0,"waiting":0'*) break ;; esac
  sleep 0.05
done
end=$(date +%s.%N)
metrics=$(curl -s "$url/metrics")
confirmed=$(echo "$metrics" | awk -F' ' '/^oee_orders_terminal_total\{status="confirmed"/ {s+=$2} END {print s+0}')
submitted=$(echo "$metrics" | awk '/^oee_events_total\{status="pending"\}/ {print $2}')
echo "orders submitted (202): $(grep -o '[0-9]* requests' "$dir/wrk" | head -1)"
echo "confirmed: $confirmed; pending-status events: $submitted"
awk -v c="$confirmed" -v s="$start" -v e="$end" 'BEGIN { printf "end-to-end: %.0f confirmed orders/s over %.1f s\n", c/(e-s), e-s }'
if [ -n "${DATABASE_URL:-}" ]; then
  while :; do
    h=$(curl -s "$url/health"); a=$(echo "$h" | sed -n 's/.*"appliedSeq":\([0-9]*\).*/\1/p'); hd=$(echo "$h" | sed -n 's/.*"head":\([0-9]*\).*/\1/p')
    [ "$a" = "$hd" ] && break; sleep 0.1
  done
  sort -g "$dir/lag" | grep -v "^$" > "$dir/lag.sorted" || true
  echo "projection: caught up at seq $hd; lag seconds during the run: max $(tail -1 "$dir/lag.sorted"), p50 $(awk '{a[NR]=$1} END {print a[int(NR/2)+1]}' "$dir/lag.sorted") over $(wc -l < "$dir/lag.sorted") samples"
fi
echo "batch size (commands per fsync): $(echo "$metrics" | awk '/^oee_log_batch_size_sum/ {s=$2} /^oee_log_batch_size_count/ {c=$2} END {printf "%.1f", s/c}')"
