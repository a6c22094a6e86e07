#!/usr/bin/env bash
# How fast oee-logdump --verify audits a log, decision audit included.
#
#   bench/verify_rate.sh [orders (100000)]
#
# Starts the server (build/bin/oee-server, --sim fast, --fail-rate 0.1, so
# some transactions are dropped and retried) on a fresh data dir and fills
# its log with oee-loadgen: 70% market orders, 15% limit orders that fire
# at once, 10% limit orders that expire, 5% snipers that buy a launch. Then
# stops it and times, on the same log, `oee-logdump --stats` (every record
# read and decoded: the baseline) and `oee-logdump --verify` (checksums,
# seqs, the state machine, derived state and every decision re-derived).
# Prints events, both times, events/s and the ratio verify/stats, and the
# decisions table. Figures, not tests.
set -euo pipefail
cd "$(dirname "$0")/.."
total=${1:-100000}
dir=$(mktemp -d)
pid=
trap 'kill -9 $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
port=$(tools/free_port.sh)
url="http://127.0.0.1:$port"

build/bin/oee-server --data-dir "$dir/data" --port "$port" --sim fast --fail-rate 0.1 --durability async \
  --sim-control --sim-launch-every 0 --watch-interval 20 --log-level warn > "$dir/out" 2>> "$dir/err" &
pid=$!
for _ in $(seq 3000); do curl -sf "$url/health" > /dev/null 2>&1 && break; sleep 0.01; done

load() {  # orders body
  build/bin/oee-loadgen --target "$url" --connections 16 --orders "$1" --duration 600 --drain 0 --body "$2" \
    > /dev/null
}
market=$(( total * 70 / 100 )); firing=$(( total * 15 / 100 )); expiring=$(( total * 10 / 100 ))
snipers=$(( total - market - firing - expiring ))
expires=$(( $(date +%s%3N) + 25000 ))
load "$snipers" '{"type":"sniper","targetToken":"VERIFY1","amount":"0.01","maxPrice":"0.001"}'
load "$expiring" "{\"type\":\"limit\",\"inputToken\":\"SOL\",\"outputToken\":\"USDC\",\"amount\":\"1\",\"minAmountOut\":\"100000\",\"expiresAt\":$expires}"
curl -sf -XPOST "$url/api/sim/launches" -H 'content-type: application/json' \
  -d '{"token":"VERIFY1","venue":"raydium","liquidity":"100000","price":"0.0001"}' > /dev/null
load "$firing" '{"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":"1","minAmountOut":"1"}'
load "$market" '{"inputToken":"SOL","outputToken":"USDC","amount":"1","slippage":"0.01"}'
# Every order ends: confirmed or failed, or expired once its time is up.
until [ "$(curl -s "$url/metrics" | awk '/^oee_orders_in_flight /{print $2}')" = "0" ] &&
      [ "$(curl -s "$url/api/book/SOL/USDC" | grep -o '"orders":[0-9]*' | cut -d: -f2)" = "0" ]; do
  sleep 0.5
done
kill -TERM "$pid"; wait "$pid" || true; pid=

seconds() { local s e; s=$(date +%s.%N); "$@" > "$dir/last" 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
stats_s=$(seconds build/bin/oee-logdump --data-dir "$dir/data" --stats)
events=$(awk '/^events/{print $2}' "$dir/last")
verify_s=$(seconds build/bin/oee-logdump --data-dir "$dir/data" --verify)
cat "$dir/last"
printf 'events %s; --stats %.2f s (%.0f events/s); --verify %.2f s (%.0f events/s); verify/stats %.2fx\n' \
  "$events" "$stats_s" "$(echo "$events / $stats_s" | bc -l)" "$verify_s" "$(echo "$events / $verify_s" | bc -l)" \
  "$(echo "$verify_s / $stats_s" | bc -l)"
