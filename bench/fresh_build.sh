#!/usr/bin/env bash
# How long a newcomer waits: a fresh clone of this checkout's HEAD in a temp
# directory, built with the compiler cache off (CCACHE_DISABLE=1; with
# FRESH_CACHE=clear, emptied with `ccache -C` instead, so that it is warm
# afterwards), timed from the command to
#   run:  the first answer of GET /health on the port `make run` serves;
#   test: `make test` returning;
#   ci:   `.ci/run` returning (CI=true, no stdin), with its steps' times.
# The packages are whatever this machine has: run `make deps deps-browser
# deps-fuzz` first so that apt's time is left out (report it apart). With
# FRESH_OUT=DIR, each command's whole output is kept in DIR/<what>.out.
#
#   bench/fresh_build.sh run|test|ci [more...]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || { echo "usage: bench/fresh_build.sh run|test|ci ..." >&2; exit 2; }

cache=(env CCACHE_DISABLE=1)
if [ "${FRESH_CACHE:-off}" = clear ]; then cache=(env); fi

for what in "$@"; do
  [ "${FRESH_CACHE:-off}" = clear ] && ccache -C > /dev/null
  tmp=$(mktemp -d)
  git clone -q "$src" "$tmp/oee"
  cd "$tmp/oee"
  start=$SECONDS
  case $what in
    run)
      port=$("$src/tools/free_port.sh")
      "${cache[@]}" setsid make run ARGS="--port $port" > "$tmp/out" 2>&1 < /dev/null &
      group=$!
      until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health")" = 200 ]; do
        kill -0 "$group" 2>/dev/null || { tail -20 "$tmp/out" >&2; exit 1; }
        sleep 1
      done
      echo "fresh make run: first answer on port $port after $((SECONDS - start)) s"
      kill -INT -- "-$group"
      wait "$group" || true
      ;;
    test)
      "${cache[@]}" make test > "$tmp/out" 2>&1 < /dev/null || { tail -40 "$tmp/out" >&2; exit 1; }
      echo "fresh make test: $((SECONDS - start)) s"
      ;;
    ci)
      "${cache[@]}" CI=true bash .ci/run > "$tmp/out" 2>&1 < /dev/null || { tail -40 "$tmp/out" >&2; exit 1; }
      grep '^ci: ' "$tmp/out"
      echo "fresh .ci/run: $((SECONDS - start)) s"
      ;;
    *) echo "unknown: $what (run, test or ci)" >&2; exit 2 ;;
  esac
  if [ -n "${FRESH_OUT:-}" ]; then mkdir -p "$FRESH_OUT" && cp "$tmp/out" "$FRESH_OUT/$what.out"; fi
  cd "$src"
  tools/pg_server.sh stop "$tmp/oee/.local/pg" > /dev/null 2>&1 || true
  rm -rf "$tmp"
done
