#!/usr/bin/env bash
# Waiting limit orders at scale: memory, restart, and the time from a price
# change to the triggers it causes.
#
#   bench/waiting_orders.sh [open orders (100000)] [orders that fire (100)]
#
# Starts the server (build/bin/oee-server, --sim fast --sim-control) on a
# fresh data dir, pins SOL/USDC at 1 USDC, and submits with oee-loadgen
# N limit orders that ask 1000 USDC for 1 SOL (they never fire here) and K
# that ask 200 (above where the market drifts after a restart, about 150). It prints:
# - the resident memory (VmRSS) before the orders and once all N+K are in
#   the book, and the difference per open order;
# - after kill -9, the time from starting the server again until all N+K
#   are back in the book (GET /api/book/SOL/USDC answers N+K);
# - after pinning the price at 250 (which fires the K), the trigger
#   latency the server measures (oee_trigger_latency_seconds: from the
#   look that saw the price to the durable `triggered` event), as bucket
#   bounds: the p50 and p99 lie at or under them.
# SERVER_ARGS adds options (e.g. "--durability async"). Figures, not tests.
set -euo pipefail
cd "$(dirname "$0")/.."
open=${1:-100000}
firing=${2:-100}
total=$(( open + firing ))
dir=$(mktemp -d)
pid=
trap 'kill -9 $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
port=$(tools/free_port.sh)
url="http://127.0.0.1:$port"

start_server() {
  build/bin/oee-server --data-dir "$dir/data" --port "$port" --sim fast --sim-control --sim-launch-every 0 \
    --log-level warn ${SERVER_ARGS:-} > "$dir/out" 2>> "$dir/err" &
  pid=$!
}
wait_listening() {
  for _ in $(seq 3000); do curl -sf "$url/health" > /dev/null 2>&1 && return 0; sleep 0.01; done
  echo "the server did not start: $(tail -3 "$dir/err")" >&2; exit 1
}
book_count() { curl -s "$url/api/book/SOL/USDC" | grep -o '"orders":[0-9]*' | head -1 | cut -d: -f2; }
set_price() {
  curl -sf -X POST "$url/api/sim/prices" -H 'Content-Type: application/json' -d "{\"pair\":\"SOL/USDC\",\"price\":$1}" > /dev/null
}
rss_mb() { awk '/^VmRSS/ { printf "%.1f", $2/1024 }' "/proc/$pid/status"; }
submit() {  # count, floor
  build/bin/oee-loadgen --target "$url" --connections 16 --orders "$1" --duration 3600 --drain 0 --json \
    --body "{\"type\":\"limit\",\"inputToken\":\"SOL\",\"outputToken\":\"USDC\",\"amount\":\"1\",\"minAmountOut\":\"$2\"}" > /dev/null
}

start_server; wait_listening
set_price 1
rss_before=$(rss_mb)
submit "$open" 1000
submit "$firing" 200
for _ in $(seq 6000); do [ "$(book_count)" = "$total" ] && break; sleep 0.1; done
[ "$(book_count)" = "$total" ] || { echo "the book holds $(book_count) of $total" >&2; exit 1; }
rss_after=$(rss_mb)
echo "open orders: $total; RSS before ${rss_before} MB, with them ${rss_after} MB:" \
  "$(awk -v a="$rss_after" -v b="$rss_before" -v n="$total" 'BEGIN { printf "%.0f bytes per open order\n", (a-b)*1048576/n }')"

kill -9 "$pid"; wait "$pid" 2>/dev/null || true
t0=$(date +%s.%N)
start_server; wait_listening
t_listen=$(date +%s.%N)
for _ in $(seq 60000); do [ "$(book_count)" = "$total" ] && break; sleep 0.01; done
t_ready=$(date +%s.%N)
[ "$(book_count)" = "$total" ] || { echo "after the restart the book holds $(book_count) of $total" >&2; exit 1; }
awk -v a="$t0" -v l="$t_listen" -v r="$t_ready" 'BEGIN { printf "restart: listening after %.2f s, every open order back in the book after %.2f s\n", l-a, r-a }'
echo "RSS after the restart: $(rss_mb) MB"

set_price 250
for _ in $(seq 3000); do [ "$(book_count)" = "$open" ] && break; sleep 0.01; done
sleep 0.5  # the last triggers' latencies are observed once they are durable
curl -s "$url/metrics" | awk -v k="$firing" '
  /^oee_trigger_latency_seconds_bucket/ {
    match($0, /le="[^"]*"/); le = substr($0, RSTART+4, RLENGTH-5); n = $2
    if (!p50 && n >= k*0.5) p50 = le; if (!p99 && n >= k*0.99) p99 = le
  }
  /^oee_trigger_latency_seconds_count/ { c = $2 }
  /^oee_trigger_latency_seconds_sum/ { sum = $2 }
  END { printf "price change to triggered, %d triggers: p50 <= %s s, p99 <= %s s, mean %.2f ms\n", c, p50, p99, c ? sum / c * 1000 : 0 }'
