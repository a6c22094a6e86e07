#!/usr/bin/env bash
# Reads of many orders on a cluster node that owns none of them, against
# the same reads of a single node, in one run:
#   - an API key's GET /api/events?limit=10000 over N orders (median of 5);
#   - /health's slowest answer while four such lists run at once;
#   - GET /api/orders/{id} of an unknown id (median of 50);
#   - the owner's answered read requests (oee_answered_reads_total) per list.
# The single node: one oee-server (embedded log). The cluster: three NATS
# servers on loopback and nodes a and b (8 partitions); the orders are
# submitted to a (an unkeyed submit lands in a partition a executes), the
# reads go to b.
#
#   bench/cluster_reads.sh [orders] [server binary]   (default 2000, build/bin/oee-server)
set -euo pipefail
cd "$(dirname "$0")/.."
orders=${1:-2000}; server=${2:-build/bin/oee-server}
[ -x "$server" ] || { echo "no server binary at $server (make build-programs)" >&2; exit 2; }
admin=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  [ -d "$dir/nats" ] && tools/nats_cluster.sh stop "$dir/nats" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

# start NAME ARGS...: an oee-server; sets url_NAME.
start() {
  local name=$1; shift
  "$server" --data-dir "$dir/$name" --port 0 --sim fast --log-level warn --admin-key "$admin" "$@" \
    > "$dir/$name.out" 2> "$dir/$name.err" &
  pids+=($!)
  for _ in $(seq 600); do grep -q LISTENING "$dir/$name.out" 2>/dev/null && break; sleep 0.1; done
  grep -q LISTENING "$dir/$name.out" || { echo "$name did not start: $(cat "$dir/$name.err")" >&2; exit 1; }
  printf -v "url_$name" 'http://127.0.0.1:%s' "$(sed -n 's/^LISTENING .*:\([0-9]*\)$/\1/p' "$dir/$name.out")"
}

# new_key URL: an API key that reads and writes orders.
new_key() {
  curl -fsS -X POST "$1/api/keys" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d '{"name":"bench","scopes":["orders:read","orders:write"],"rateLimit":null}' |
    sed -n 's/.*"key":"\([^"]*\)".*/\1/p'
}

# submit URL KEY: the orders, then until the executors are idle.
submit() {
  build/bin/oee-loadgen --target "$1" --connections 16 --orders "$orders" --duration 3600 --drain 0 --json \
    --api-key "$2" > /dev/null
  for _ in $(seq 3000); do
    case "$(curl -s "$1/health" -H "Authorization: Bearer $admin")" in *'"inFlight":0,"waiting":0'*) break ;; esac
    sleep 0.2
  done
}

answered() { curl -s "$1/metrics" -H "Authorization: Bearer $admin" | awk '/^oee_answered_reads_total /{v=$2} END {print v+0}'; }

# measure NAME READ_URL KEY [OWNER_URL]: prints one line of figures.
measure() {
  local name=$1 url=$2 key=$3 owner=${4:-} list_s health_ms unknown_ms asked="-"
  local list="$url/api/events?limit=10000"
  local events
  events=$(curl -fsS "$list" -H "Authorization: Bearer $key" | grep -o '"orderId"' | wc -l)
  local before=""
  [ -n "$owner" ] && before=$(answered "$owner")
  list_s=$(for _ in 1 2 3 4 5; do
    curl -fsS -o /dev/null -w '%{time_total}\n' "$list" -H "Authorization: Bearer $key"
  done | median)
  [ -n "$owner" ] && asked=$(echo "($(answered "$owner") - $before) / 5" | bc -l | xargs printf '%.1f')
  # The admin's list: the same events, with no order's owner to read.
  local admin_s
  admin_s=$(for _ in 1 2 3 4 5; do
    curl -fsS -o /dev/null -w '%{time_total}\n' "$list" -H "Authorization: Bearer $admin"
  done | median)
  # Four lists at once; /health polled meanwhile.
  local bg=()
  for _ in 1 2 3 4; do curl -fsS -o /dev/null "$list" -H "Authorization: Bearer $key" & bg+=($!); done
  health_ms=0
  while kill -0 "${bg[@]}" 2>/dev/null; do
    t=$(curl -fsS -o /dev/null -w '%{time_total}' "$url/health")
    health_ms=$(echo "if ($t * 1000 > $health_ms) $t * 1000 else $health_ms" | bc -l)
  done
  wait "${bg[@]}" || true
  unknown_ms=$(for _ in $(seq 50); do
    curl -s -o /dev/null -w '%{time_total}\n' "$url/api/orders/$(cat /proc/sys/kernel/random/uuid)" \
      -H "Authorization: Bearer $key"
  done | median)
  printf '%-8s events listed %6d | list %.3f s (admin %.3f s) | owner requests per list %s | /health slowest, 4 lists at once %.1f ms | unknown id %.2f ms\n' \
    "$name" "$events" "$list_s" "$admin_s" "$asked" "$health_ms" "$(echo "$unknown_ms * 1000" | bc -l)"
}

start single
key=$(new_key "$url_single")
submit "$url_single" "$key"
measure single "$url_single" "$key"
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true; pids=()

urls=$(tools/nats_cluster.sh start "$dir/nats" 3)
export OEE_NATS_URL=$urls  # it holds the servers' password: not on a command line
start a --node a --partitions 8
start b --node b --partitions 8
# Until each executes its share (4 of 8).
for _ in $(seq 300); do
  n=$(curl -s "$url_b/api/cluster" -H "Authorization: Bearer $admin" |
    { grep -o '"executedHere":\[[0-9,]*\]' || true; } | { grep -o '[0-9]' || true; } | wc -l)
  [ "$n" = 4 ] && break; sleep 0.2
done
key=$(new_key "$url_a")
submit "$url_a" "$key"
measure cluster "$url_b" "$key" "$url_a"
