#!/usr/bin/env bash
# A private Redis server for tests (or `make run`): loopback only, on a free
# port, no persistence, all of its files under DIR.
#
#   redis_server.sh start DIR   # starts it, writes the URL to DIR/url and prints it
#   redis_server.sh kill DIR    # kill -9 (an outage), keeping DIR and the port
#   redis_server.sh resume DIR  # starts it again on the same port
#   redis_server.sh pause DIR   # stops it cleanly, keeping DIR (make run)
#   redis_server.sh kick DIR    # disconnects every pub/sub subscriber (they must reconnect)
#   redis_server.sh cli DIR ARGS...  # runs one command against it
#   redis_server.sh stop DIR    # stops it and removes DIR (tests)
#
# With OEE_REDIS_PASSWORD set the server requires it and the URL carries it.
set -euo pipefail
cmd=${1:?start|kill|resume|pause|stop}; dir=$(realpath -m "${2:?directory}")
command -v redis-server >/dev/null || { echo "redis_server.sh: redis-server not found (apt-get install redis-server)" >&2; exit 2; }

free_port() { "$(dirname "$0")/free_port.sh"; }

# Up is what the server itself says, a line tagged with its own pid: the
# port answering may be another process that took it first (this one then
# exits, having daemonized before it binds, and writes no pid file).
launch() {  # returns non-zero if the server did not come up on $1
  local port=$1 pass=() p
  [ -s "$dir/password" ] && pass=(--requirepass "$(cat "$dir/password")")
  rm -f "$dir/redis.pid"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" "${pass[@]}" >/dev/null 2>&1 || return 1
  for _ in $(seq 200); do
    p=$(pid)
    if [ -n "$p" ]; then
      kill -0 "$p" 2>/dev/null || return 1
      grep -q "^$p:M .*Ready to accept connections" "$dir/redis.log" && return 0
    fi
    sleep 0.025
  done
  return 1
}

pid() { cat "$dir/redis.pid" 2>/dev/null || true; }

stop_server() {  # $1: signal
  local p; p=$(pid)
  [ -n "$p" ] || return 0
  kill "-$1" "$p" 2>/dev/null || true
  for _ in $(seq 200); do kill -0 "$p" 2>/dev/null || break; sleep 0.025; done
  rm -f "$dir/redis.pid"
}

case $cmd in
  start)
    mkdir -p "$dir"
    printf '%s' "${OEE_REDIS_PASSWORD:-}" > "$dir/password"
    # A free-looking port can still be taken by the time redis binds it: try another.
    for attempt in 1 2 3 4 5; do
      port=$(free_port)
      launch "$port" && break
      [ $attempt = 5 ] && { tail -20 "$dir/redis.log" >&2; exit 1; }
    done
    echo "$port" > "$dir/port"
    auth=""; [ -n "${OEE_REDIS_PASSWORD:-}" ] && auth=":${OEE_REDIS_PASSWORD}@"
    echo "redis://${auth}127.0.0.1:$port" > "$dir/url"
    cat "$dir/url"
    ;;
  kill)   stop_server KILL ;;
  kick|cli)
    pass=(); [ -s "$dir/password" ] && pass=(-a "$(cat "$dir/password")" --no-auth-warning)
    if [ "$cmd" = kick ]; then set -- CLIENT KILL TYPE pubsub; else shift 2; fi
    out=$(redis-cli -p "$(cat "$dir/port")" "${pass[@]}" "$@")
    case $out in ERR*|WRONGPASS*|NOAUTH*) echo "$out" >&2; exit 1 ;; esac
    ;;
  pause)  stop_server TERM ;;
  resume) launch "$(cat "$dir/port")" || { tail -20 "$dir/redis.log" >&2; exit 1; } ;;
  stop)
    stop_server KILL
    rm -rf "$dir"
    ;;
  *) echo "redis_server.sh: unknown command $cmd" >&2; exit 2 ;;
esac
