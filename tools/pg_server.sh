#!/usr/bin/env bash
# A private PostgreSQL server for tests (or `make run`): loopback only, on a
# free port, its URL and port under DIR.
#
#   pg_server.sh start DIR   # initialises on first use, starts, writes the URL to DIR/url
#   pg_server.sh pause DIR   # stops it, keeping its data (make run)
#   pg_server.sh resume DIR  # starts it again on the same port
#   pg_server.sh stop DIR    # stops it and removes DIR and its data (tests)
#   pg_server.sh where DIR   # prints the directory that holds its data and socket
#
# Debian keeps the server binaries off PATH, and initdb/pg_ctl refuse to run
# as root, so as root they run as the `postgres` user. That user must be able
# to enter the data directory: when DIR is out of its reach (a clone in
# root's home, which is 0700), the data and socket live in the user's own
# home instead, in a directory named after DIR's path (/root/oee/.local/pg:
# /var/lib/postgresql/oee/root_oee_.local_pg); DIR/where says which.
set -euo pipefail
cmd=${1:?start|stop}; dir=$(realpath -m "${2:?directory}")
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pgbin/pg_ctl" ] || { echo "pg_server.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 2; }

# Test servers trade durability for speed (OEE_PG_FAST=1); make run's keeps
# it. (wal_level=minimal was tried: a rebuild's commit then has to fsync the
# whole new tables while holding the swap locks, stalling readers.)
opts=""
[ "${OEE_PG_FAST:-0}" = 1 ] && opts="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# Where the server's own files go: DIR itself when the server's user can
# enter it, else postgres's home, under a name that is the same for DIR on
# every run (so data is kept between runs) and differs between clones.
server_dir() {
  if [ "$(id -u)" -ne 0 ] || runuser -u postgres -- test -x "$dir" 2>/dev/null; then
    echo "$dir"
    return
  fi
  local home
  home=$(getent passwd postgres | cut -d: -f6)
  echo "$home/oee/$(printf '%s' "${dir#/}" | tr '/' '_')"
}

# The directory start recorded (DIR itself for a DIR started before there
# was a choice).
recorded_dir() { cat "$dir/where" 2>/dev/null || echo "$dir"; }

# Starts the server in $srv on port $1.
launch() {
  as_pg "$pgbin/pg_ctl" -D "$srv/pg" -l "$srv/pg/server.log" -w -t 30 \
    -o "-p $1 -k $srv/sock -c listen_addresses=127.0.0.1 $opts" start >/dev/null
}

free_port() { "$(dirname "$0")/free_port.sh"; }

case $cmd in
  start)
    mkdir -p "$dir"
    chmod 755 "$dir"
    srv=$(server_dir)
    # Data outside DIR that no DIR/where names is what a removed DIR left:
    # DIR starts afresh, as it would inside.
    if [ ! -f "$dir/where" ] && [ "$srv" != "$dir" ]; then rm -rf "$srv"; fi
    echo "$srv" > "$dir/where"
    mkdir -p "$srv/pg" "$srv/sock"
    if [ "$(id -u)" -eq 0 ]; then
      [ "$srv" = "$dir" ] || chown postgres:postgres "$srv" "$(dirname "$srv")"
      chown postgres:postgres "$srv/pg" "$srv/sock"
    fi
    fresh=0
    if [ ! -f "$srv/pg/PG_VERSION" ]; then
      as_pg "$pgbin/initdb" -D "$srv/pg" -U postgres --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
      fresh=1
    fi
    port=$(free_port)
    echo "$port" > "$dir/port"
    launch "$port" || { tail -20 "$srv/pg/server.log" >&2; exit 1; }
    [ $fresh -eq 1 ] && as_pg psql -h 127.0.0.1 -p "$port" -U postgres -qAt -c "CREATE DATABASE oee" >/dev/null
    echo "postgresql://postgres@127.0.0.1:$port/oee" > "$dir/url"
    cat "$dir/url"
    ;;
  stop)
    srv=$(recorded_dir)
    if [ -f "$srv/pg/postmaster.pid" ]; then
      as_pg "$pgbin/pg_ctl" -D "$srv/pg" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    [ "$srv" = "$dir" ] || rm -rf "$srv"
    rm -rf "$dir"
    ;;
  pause)    # stop without removing anything
    srv=$(recorded_dir)
    as_pg "$pgbin/pg_ctl" -D "$srv/pg" -m fast -w stop >/dev/null
    ;;
  resume)
    srv=$(recorded_dir)
    launch "$(cat "$dir/port")"
    ;;
  where)
    if [ -f "$dir/where" ]; then cat "$dir/where"; else server_dir; fi
    ;;
  *) echo "usage: pg_server.sh start|stop|pause|resume|where DIR" >&2; exit 2 ;;
esac
