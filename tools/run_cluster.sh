#!/usr/bin/env bash
# `make cluster`: a cluster on this machine's loopback. Three nats-server
# processes (JetStream, clustered; the nodes and the tools each with a user
# of their own, the routes with a password; every password in files only
# their owner reads, handed to the nodes in their environment), a
# PostgreSQL server for the order history, a Redis server for the live
# stream, two oee-server nodes on them and a gateway fed by Redis, every
# file under .local/cluster/ (kept between runs). Prints the URLs; Ctrl-C
# stops them all.
#
#   tools/run_cluster.sh BUILD_DIR [oee-server flags for both nodes...]
#
# OEE_CLUSTER_PORT: the first node's HTTP port (default 3000; the second
# takes the next one, the gateway the one after).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}; shift || true
dir=.local/cluster
first_port=${OEE_CLUSTER_PORT:-3000}
mkdir -p "$dir"

urls=$(tools/nats_cluster.sh start "$dir/nats" 3)
pids=()
pg_started=0
redis_started=0
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  tools/nats_cluster.sh halt "$dir/nats"
  [ "$pg_started" = 1 ] && tools/pg_server.sh pause "$dir/pg" > /dev/null 2>&1 || true
  [ "$redis_started" = 1 ] && tools/redis_server.sh pause "$dir/redis" > /dev/null 2>&1 || true
  echo "stopped; the cluster's data stays in $dir (remove it to start afresh)"
}
trap cleanup EXIT
db=$(tools/pg_server.sh start "$dir/pg")
pg_started=1
redis=$(tools/redis_server.sh start "$dir/redis")
redis_started=1

for i in 1 2; do
  port=$((first_port + i - 1))
  # In the environment, not the command line, which every local user can read.
  OEE_NATS_URL="$urls" "$build/bin/oee-server" --node "node$i" --port "$port" --data-dir "$dir/node$i" \
    --database-url "$db" --redis-url "$redis" "$@" \
    > "$dir/node$i.log" 2>&1 &
  pids+=($!)
done
gateway_port=$((first_port + 2))
# The gateway takes the nodes' --admin-key, if any, to read the API keys.
gateway_args=()
for ((a = 1; a <= $#; a++)); do
  if [ "${!a}" = --admin-key ] && [ $((a + 1)) -le $# ]; then n=$((a + 1)); gateway_args+=(--admin-key "${!n}"); fi
done
"$build/bin/oee-server" --role gateway --core-url "http://127.0.0.1:$first_port" --redis-url "$redis" \
  --port "$gateway_port" "${gateway_args[@]}" > "$dir/gateway.log" 2>&1 &
pids+=($!)
for i in 1 2 3; do
  log="$dir/node$i.log"; [ "$i" = 3 ] && log="$dir/gateway.log"
  for _ in $(seq 600); do
    grep -q '^LISTENING' "$log" 2>/dev/null && break
    kill -0 "${pids[$((i - 1))]}" 2>/dev/null || { tail -20 "$log" >&2; exit 1; }
    sleep 0.1
  done
done

shown=$(printf '%s' "$urls" | sed -E 's#//[^@/]*@#//#g')
cat <<INFO
NATS JetStream cluster (3 servers): $shown
  the nodes' URLs with their password: $dir/nats/urls; the tools' (read-only, for oee-logdump --nats): $dir/nats/tools-urls
PostgreSQL (order history, projected by both nodes): $db
Redis (each partition published by the node executing it): $redis
  (data in $dir/nats; tools/nats_cluster.sh kill|resume|pause|cont $dir/nats N acts on server N)
oee node1: http://127.0.0.1:$first_port/   (pid ${pids[0]}, log $dir/node1.log)
oee node2: http://127.0.0.1:$((first_port + 1))/   (pid ${pids[1]}, log $dir/node2.log)
gateway (WebSocket, fed by Redis): ws://127.0.0.1:$gateway_port/ws   (pid ${pids[2]}, log $dir/gateway.log)
Submit to either node, watch on the other, kill -9 one of anything: docs/SCALING.md. Ctrl-C stops everything.
INFO
# Ctrl-C reaches the nodes, which give their partitions back and exit.
trap 'true' INT TERM
wait || true
