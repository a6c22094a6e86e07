#!/usr/bin/env bash
# `make run`: starts oee-server. Without DATABASE_URL it first starts a
# private PostgreSQL under .local/pg, and without REDIS_URL a private Redis
# under .local/redis (both loopback, on free non-default ports; PostgreSQL's
# data is kept between runs) and stops them again when the server exits.
#
#   tools/run_local.sh BUILD_DIR [oee-server flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}; shift || true
stop_local=()
cleanup() { for c in "${stop_local[@]}"; do $c || true; done; }
trap cleanup EXIT

db=${DATABASE_URL:-}
if [ -z "$db" ]; then
  db=$(tools/pg_server.sh start .local/pg)
  stop_local+=("tools/pg_server.sh pause .local/pg")
  echo "local PostgreSQL for order history: $db (data in .local/pg)"
fi
redis=${REDIS_URL:-}
if [ -z "$redis" ]; then
  redis=$(tools/redis_server.sh start .local/redis)
  stop_local+=("tools/redis_server.sh stop .local/redis")
  echo "local Redis for the live stream: $redis"
  echo "  a WebSocket gateway on port 3001: $build/bin/oee-server --role gateway --port 3001 --redis-url $redis"
fi
# Ctrl-C reaches the server, which drains and exits; this shell waits for it.
trap 'true' INT TERM
"$build/bin/oee-server" --database-url "$db" --redis-url "$redis" "$@"
