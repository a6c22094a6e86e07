#!/usr/bin/env bash
# Append -> WebSocket receive latency of the live stream, in-process (the
# core's own WebSockets) and through a gateway fed by Redis.
#
#   bench/stream_latency.sh [orders_per_second] [seconds] [subscribers]
#
# Starts a private Redis (tools/redis_server.sh), build/bin/oee-server as the
# core (--sim realistic, sync durability, fresh data dir) and one gateway on
# free ports, then runs build/bin/oee-loadgen twice at the same open-loop
# rate: following every order over the core's /ws, then over the gateway's.
# `ts` in each message is when the event was appended; the receive time is
# taken on arrival, on the same machine's clock. Figures, not tests.
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-1000}; secs=${2:-20}; subs=${3:-1000}
dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  tools/redis_server.sh stop "$dir/redis" || true
  rm -rf "$dir"
}
trap cleanup EXIT
redis=$(tools/redis_server.sh start "$dir/redis")

start_server() {  # name, flags...: sets $port (not in a subshell, so cleanup knows the pid)
  local name=$1; shift
  build/bin/oee-server --port 0 --log-level warn "$@" > "$dir/$name.out" 2> "$dir/$name.err" &
  pids+=($!)
  for _ in $(seq 100); do grep -q LISTENING "$dir/$name.out" 2>/dev/null && break; sleep 0.1; done
  port=$(sed -n 's/^LISTENING .*:\([0-9]*\)$/\1/p' "$dir/$name.out")
}
start_server core --data-dir "$dir/data" --redis-url "$redis"
core=$port
start_server gateway --role gateway --redis-url "$redis" --core-url "http://127.0.0.1:$core"
gw=$port

echo "== in-process: $subs subscribers on the core, $rate orders/s for $secs s"
build/bin/oee-loadgen --target "http://127.0.0.1:$core" --rate "$rate" --duration "$secs" --orders 100000000 \
  --subscribers "$subs" "${@:4}"
echo
echo "== through a gateway: $subs subscribers on the gateway, $rate orders/s for $secs s"
build/bin/oee-loadgen --target "http://127.0.0.1:$core" --ws-url "ws://127.0.0.1:$gw/ws" --rate "$rate" \
  --duration "$secs" --orders 100000000 --subscribers "$subs" "${@:4}"
