#!/usr/bin/env bash
# A private NATS JetStream cluster for tests (or `make cluster`): N
# nats-server processes clustered with each other on free loopback ports,
# JetStream file storage and every file under DIR, clients authenticated by
# user and password, routes by a password of their own. Two users: the
# nodes' (what oee-server needs: its streams, buckets and forwards) and the
# tools' (reads only: oee-logdump, oee-chaos's checks).
#
#   nats_cluster.sh start DIR [N]   # starts N servers (default 3), writes DIR/urls
#                                   # (comma list, the nodes' credentials included) and
#                                   # DIR/tools-urls (the tools'), and prints DIR/urls
#   nats_cluster.sh kill DIR I      # kill -9 of server I (1-based): an outage, keeping its data and ports
#   nats_cluster.sh resume DIR I    # starts server I again with its data
#   nats_cluster.sh pause DIR I     # SIGSTOP of server I
#   nats_cluster.sh cont DIR I      # SIGCONT of server I
#   nats_cluster.sh pid DIR I       # prints server I's pid
#   nats_cluster.sh stop DIR        # stops every server and removes DIR (tests)
#   nats_cluster.sh halt DIR        # stops every server, keeping DIR (make cluster)
#
# The nodes' user and password are OEE_NATS_USER / OEE_NATS_PASSWORD when
# set, else "oee" and a random one, written to DIR/user and DIR/password on
# the first start; the tools' are "oee-tools" and OEE_NATS_TOOLS_PASSWORD or
# a random one (DIR/tools-password); the routes' OEE_NATS_ROUTE_PASSWORD or
# a random one (DIR/route-password). Every file is the owner's alone. With
# OEE_NATS_TLS_CERT and OEE_NATS_TLS_KEY (PEM files) set on the first start,
# clients must use TLS and the URLs are tls://. With OEE_NATS_PROFILE=true
# on the first start, each server also serves Go's profiles on a loopback
# port of its own (DIR/nI/prof-port; bench/cluster_messages.sh reads them).
set -euo pipefail
cmd=${1:?start|kill|resume|pause|cont|pid|stop|halt}; dir=$(realpath -m "${2:?directory}")
command -v nats-server >/dev/null || { echo "nats_cluster.sh: nats-server not found (apt-get install nats-server)" >&2; exit 2; }

free_port() { "$(dirname "$0")/free_port.sh"; }
count() { cat "$dir/count"; }
pid_of() { cat "$dir/n$1/pid" 2>/dev/null || true; }

# Writes nI/server.conf from the ports chosen at the first start; one
# server runs JetStream without a cluster.
write_config() {
  local i=$1 n routes="" j
  n=$(count)
  cat > "$dir/n$i/server.conf" <<EOF
$(cat "$(dirname "$0")/nats/permissions.conf")
server_name: "n$i"
listen: "127.0.0.1:$(cat "$dir/n$i/port")"
http: "127.0.0.1:$(cat "$dir/n$i/http-port")"
pid_file: "$dir/n$i/pid"
log_file: "$dir/n$i/server.log"
authorization {
  users: [
    { user: "$(cat "$dir/user")", password: "$(cat "$dir/password")", permissions: \$node }
    { user: "oee-tools", password: "$(cat "$dir/tools-password")", permissions: \$tools }
  ]
}
jetstream {
  store_dir: "$dir/n$i/js"
}
EOF
  if [ -s "$dir/n$i/prof-port" ]; then echo "prof_port: $(cat "$dir/n$i/prof-port")" >> "$dir/n$i/server.conf"; fi
  if [ -s "$dir/tls-cert" ]; then
    cat >> "$dir/n$i/server.conf" <<EOF
tls {
  cert_file: "$(cat "$dir/tls-cert")"
  key_file: "$(cat "$dir/tls-key")"
}
EOF
  fi
  [ "$n" = 1 ] && return
  for j in $(seq "$n"); do
    [ "$j" = "$i" ] && continue
    routes="$routes    \"nats-route://route:$(cat "$dir/route-password")@127.0.0.1:$(cat "$dir/n$j/cluster-port")\"
"
  done
  cat >> "$dir/n$i/server.conf" <<EOF
cluster {
  name: "oee"
  listen: "127.0.0.1:$(cat "$dir/n$i/cluster-port")"
  authorization {
    user: "route"
    password: "$(cat "$dir/route-password")"
  }
  routes: [
$routes  ]
}
EOF
}

# Up is what the server itself says, lines tagged with its own pid: its
# client port answering may be another process that took the port first,
# and a server binds its route port after saying it is ready (and exits if
# it cannot), which would leave the cluster a server short.
launch() {  # $1: server index; non-zero if it did not come up
  local i=$1 pid want=2
  rm -f "$dir/n$i/pid"
  nats-server -c "$dir/n$i/server.conf" >>"$dir/n$i/server.log" 2>&1 &
  pid=$!
  [ "$(count)" = 1 ] && want=1
  for _ in $(seq 400); do
    alive "$pid" || return 1
    if [ "$(grep -c -e "^\[$pid\] .*Server is ready" -e "^\[$pid\] .*Listening for route connections" \
            "$dir/n$i/server.log")" -ge "$want" ]; then
      return 0
    fi
    sleep 0.025
  done
  return 1
}

signal() {  # $1: signal, $2: server index; waits for a KILL to take effect
  local p; p=$(pid_of "$2")
  [ -n "$p" ] || return 0
  kill "-$1" "$p" 2>/dev/null || true
  if [ "$1" = KILL ] || [ "$1" = TERM ]; then
    for _ in $(seq 400); do alive "$p" || break; sleep 0.025; done
    rm -f "$dir/n$2/pid"
  fi
}

# Alive and not a zombie: a killed server is reaped by whoever adopted it,
# which may take its time.
alive() { [ -r "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

secret() { head -c 18 /dev/urandom | base64 | tr '+/' '-_'; }

case $cmd in
  start)
    n=${3:-3}
    mkdir -p "$dir"; chmod 700 "$dir"
    echo "$n" > "$dir/count"
    [ -s "$dir/user" ] || printf '%s' "${OEE_NATS_USER:-oee}" > "$dir/user"
    [ -s "$dir/password" ] || printf '%s' "${OEE_NATS_PASSWORD:-$(secret)}" > "$dir/password"
    [ -s "$dir/tools-password" ] || printf '%s' "${OEE_NATS_TOOLS_PASSWORD:-$(secret)}" > "$dir/tools-password"
    [ -s "$dir/route-password" ] || printf '%s' "${OEE_NATS_ROUTE_PASSWORD:-$(secret)}" > "$dir/route-password"
    if [ -n "${OEE_NATS_TLS_CERT:-}" ] && [ ! -s "$dir/tls-cert" ]; then
      realpath "$OEE_NATS_TLS_CERT" > "$dir/tls-cert"
      realpath "${OEE_NATS_TLS_KEY:?OEE_NATS_TLS_KEY goes with OEE_NATS_TLS_CERT}" > "$dir/tls-key"
    fi
    scheme=nats; [ -s "$dir/tls-cert" ] && scheme=tls
    # Ports chosen here may be taken by another process before a server
    # binds them: then every server goes, and fresh ports are chosen. Ports
    # kept from an earlier start (make cluster) are not changed.
    fresh=1; [ -s "$dir/n1/port" ] && fresh=0
    for attempt in 1 2 3 4 5; do
      for i in $(seq "$n"); do
        mkdir -p "$dir/n$i"
        [ -s "$dir/n$i/port" ] || { free_port > "$dir/n$i/port"; free_port > "$dir/n$i/cluster-port"; free_port > "$dir/n$i/http-port"
          if [ "${OEE_NATS_PROFILE:-}" = true ]; then free_port > "$dir/n$i/prof-port"; fi; }
      done
      urls=""; tools_urls=""; failed=""
      for i in $(seq "$n"); do
        write_config "$i"
        launch "$i" || { failed=$i; break; }
        urls="$urls${urls:+,}$scheme://$(cat "$dir/user"):$(cat "$dir/password")@127.0.0.1:$(cat "$dir/n$i/port")"
        tools_urls="$tools_urls${tools_urls:+,}$scheme://oee-tools:$(cat "$dir/tools-password")@127.0.0.1:$(cat "$dir/n$i/port")"
      done
      [ -z "$failed" ] && break
      for i in $(seq "$n"); do signal KILL "$i"; done
      if [ "$fresh" = 1 ] && [ "$attempt" -lt 5 ] && grep -q "address already in use" "$dir/n$failed/server.log"; then
        for i in $(seq "$n"); do rm -rf "${dir:?}/n$i"; done
        continue
      fi
      tail -20 "$dir/n$failed/server.log" >&2
      exit 1
    done
    (umask 077; echo "$urls" > "$dir/urls"; echo "$tools_urls" > "$dir/tools-urls")
    cat "$dir/urls"
    ;;
  kill)   signal KILL "${3:?server index}" ;;
  pause)  signal STOP "${3:?server index}" ;;
  cont)   signal CONT "${3:?server index}" ;;
  pid)    pid_of "${3:?server index}" ;;
  resume)
    # A running server is left alone: a second one would fail to bind, but
    # only after writing its pid over the first's, which would then outlive
    # `stop`.
    i=${3:?server index}; p=$(pid_of "$i")
    if [ -n "$p" ] && alive "$p"; then echo "nats_cluster.sh: server $i is running (pid $p)" >&2; exit 1; fi
    launch "$i" || { tail -20 "$dir/n$i/server.log" >&2; exit 1; }
    ;;
  stop)  # the data goes too: no need for a clean shutdown
    if [ -f "$dir/count" ]; then
      for i in $(seq "$(count)"); do signal KILL "$i"; done
    fi
    rm -rf "$dir"
    ;;
  halt)
    [ -f "$dir/count" ] || exit 0
    for i in $(seq "$(count)"); do signal CONT "$i"; signal TERM "$i"; done
    ;;
  *) echo "nats_cluster.sh: unknown command $cmd" >&2; exit 2 ;;
esac
