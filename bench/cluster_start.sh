#!/usr/bin/env bash
# How long a cluster node takes to answer, started on a NATS cluster that
# has just started itself (as in `make cluster` and every cluster test):
# for each run, three fresh nats-server processes on loopback, then one
# oee-server node; the time from the node's start to its LISTENING line,
# and to executing every partition. Prints each run and the median of both.
#
#   bench/cluster_start.sh [runs] [partitions] [server binary]
#     (default 5 runs, 8 partitions, build/bin/oee-server)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}; partitions=${2:-8}; server=${3:-build/bin/oee-server}
[ -x "$server" ] || { echo "no server binary at $server (make build-programs)" >&2; exit 2; }

dir=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  [ -d "$dir/nats" ] && tools/nats_cluster.sh stop "$dir/nats" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc; }
median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

last="partition $((partitions - 1)): executed by this node"
for run in $(seq "$runs"); do
  urls=$(tools/nats_cluster.sh start "$dir/nats" 3)
  start=$(now)
  # The URLs hold the node's password: in the environment, not on a command line.
  OEE_NATS_URL=$urls "$server" --node a --partitions "$partitions" --port 0 --data-dir "$dir/node" \
    > "$dir/node.log" 2>&1 &
  pid=$!
  listening=""; executing=""
  for _ in $(seq 1200); do
    [ -z "$listening" ] && grep -q '^LISTENING ' "$dir/node.log" && listening=$(elapsed "$start")
    [ -n "$listening" ] && grep -q "$last" "$dir/node.log" && { executing=$(elapsed "$start"); break; }
    kill -0 "$pid" 2>/dev/null || { cat "$dir/node.log" >&2; exit 1; }
    sleep 0.02
  done
  [ -n "$executing" ] || { echo "run $run: the node did not execute every partition within 24 s" >&2; exit 1; }
  printf 'run %d: listening after %.2f s, executing every partition after %.2f s\n' "$run" "$listening" "$executing"
  echo "$listening" >> "$dir/listening"; echo "$executing" >> "$dir/executing"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  tools/nats_cluster.sh stop "$dir/nats"
  rm -rf "$dir/node"
done
printf 'median of %d runs (%d partitions): listening after %.2f s, executing every partition after %.2f s\n' \
  "$runs" "$partitions" "$(median < "$dir/listening")" "$(median < "$dir/executing")"
