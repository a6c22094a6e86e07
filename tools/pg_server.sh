#!/usr/bin/env bash
# A private PostgreSQL server for tests (or `make run`): loopback only, on a
# free port, with all of its files under DIR.
#
#   pg_server.sh start DIR   # initialises DIR on first use, starts, writes the URL to DIR/url
#   pg_server.sh pause DIR   # stops it, keeping its data (make run)
#   pg_server.sh resume DIR  # starts it again on the same port
#   pg_server.sh stop DIR    # stops it and removes DIR (tests)
#
# Debian keeps the server binaries off PATH, and initdb/pg_ctl refuse to run
# as root, so as root they run as the `postgres` user.
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
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() { "$(dirname "$0")/free_port.sh"; }

case $cmd in
  start)
    mkdir -p "$dir"
    chmod 755 "$dir"
    mkdir -p "$dir/pg" "$dir/sock"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir/pg" "$dir/sock"
    fresh=0
    if [ ! -f "$dir/pg/PG_VERSION" ]; then
      as_pg "$pgbin/initdb" -D "$dir/pg" -U postgres --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
      fresh=1
    fi
    port=$(free_port)
    echo "$port" > "$dir/port"
    as_pg "$pgbin/pg_ctl" -D "$dir/pg" -l "$dir/pg/server.log" -w -t 30 \
      -o "-p $port -k $dir/sock -c listen_addresses=127.0.0.1 $opts" start >/dev/null \
      || { tail -20 "$dir/pg/server.log" >&2; exit 1; }
    [ $fresh -eq 1 ] && as_pg psql -h 127.0.0.1 -p "$port" -U postgres -qAt -c "CREATE DATABASE oee" >/dev/null
    echo "postgresql://postgres@127.0.0.1:$port/oee" > "$dir/url"
    cat "$dir/url"
    ;;
  stop)
    if [ -f "$dir/pg/postmaster.pid" ]; then
      as_pg "$pgbin/pg_ctl" -D "$dir/pg" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  pause)    # stop without removing anything
    as_pg "$pgbin/pg_ctl" -D "$dir/pg" -m fast -w stop >/dev/null
    ;;
  resume)
    port=$(cat "$dir/port")
    as_pg "$pgbin/pg_ctl" -D "$dir/pg" -l "$dir/pg/server.log" -w -t 30 \
      -o "-p $port -k $dir/sock -c listen_addresses=127.0.0.1 $opts" start >/dev/null
    ;;
  *) echo "usage: pg_server.sh start|stop|pause|resume DIR" >&2; exit 2 ;;
esac
