#!/usr/bin/env bash
# `make run`: starts oee-server. Without DATABASE_URL it first starts a
# private PostgreSQL under .local/pg (loopback, a free non-default port; its
# data is kept between runs) and stops it again when the server exits.
#
#   tools/run_local.sh BUILD_DIR [oee-server flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}; shift || true
url=${DATABASE_URL:-}
if [ -z "$url" ]; then
  url=$(tools/pg_server.sh start .local/pg)
  trap 'tools/pg_server.sh pause .local/pg' EXIT
  echo "local PostgreSQL for order history: $url (data in .local/pg)"
fi
# Ctrl-C reaches the server, which drains and exits; this shell waits for it.
trap 'true' INT TERM
"$build/bin/oee-server" --database-url "$url" "$@"
