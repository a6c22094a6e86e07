#!/usr/bin/env bash
# `make run` and `make cluster` from a clone whose parent directory only its
# owner may enter, as root's home is on Debian: the private PostgreSQL's user
# cannot reach the clone, so its data must live where it can (tools/pg_server.sh).
# Each must answer on its ports, take an order, stop on Ctrl-C (SIGINT to its
# process group) and leave no server behind; the PostgreSQL data of `make run`
# must still be there for the next run.
#
#   tests/e2e/private_clone_test.sh SOURCE_DIR BUILD_DIR
# Exit 77 (skipped) when not root: as any other user the servers run as that
# user, who can enter its own clone.
set -euo pipefail
src=$(realpath "$1"); build=$(realpath "$2")
if [ "$(id -u)" -ne 0 ]; then echo "Skipped: only root's servers run as another user (postgres)"; exit 77; fi

tmp=$(mktemp -d)
home=$tmp/home
clone=$home/oee
mkdir -m 700 "$home"
mkdir "$clone"
# What the two commands run: the Makefile and the scripts (the build is BUILD_DIR's).
cp -a "$src/Makefile" "$src/tools" "$clone/"

group=""
cleanup() {
  [ -n "$group" ] && kill -KILL -- "-$group" 2>/dev/null || true
  "$src/tools/nats_cluster.sh" stop "$clone/.local/cluster/nats" >/dev/null 2>&1 || true
  for r in .local/redis .local/cluster/redis; do "$src/tools/redis_server.sh" stop "$clone/$r" >/dev/null 2>&1 || true; done
  for p in .local/pg .local/cluster/pg; do "$src/tools/pg_server.sh" stop "$clone/$p" >/dev/null 2>&1 || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; [ -f "$tmp/out" ] && tail -30 "$tmp/out" >&2; exit 1; }

# Waits up to 120 s for GET /health on PORT to answer 200.
wait_healthy() {
  for _ in $(seq 1200); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/health")" = 200 ] && return 0
    kill -0 "$group" 2>/dev/null || fail "the command exited before port $1 answered"
    sleep 0.1
  done
  fail "port $1 did not answer /health within 120 s"
}

submit() {
  local answer
  answer=$(curl -s -w '\n%{http_code}' -X POST "http://127.0.0.1:$1/api/orders/execute" \
    -H 'Content-Type: application/json' -d '{"inputToken":"SOL","outputToken":"USDC","amount":1,"slippage":0.01}')
  [ "$(tail -1 <<<"$answer")" = 202 ] || fail "submit to port $1 answered: $answer"
}

# Ctrl-C as a terminal sends it: SIGINT to the whole group; then nothing of it may be left.
stop_group() {
  kill -INT -- "-$group"
  for _ in $(seq 600); do
    pgrep -g "$group" >/dev/null || { group=""; return 0; }
    sleep 0.1
  done
  fail "still running 60 s after SIGINT: $(pgrep -a -g "$group")"
}

free_port() { "$src/tools/free_port.sh"; }

# make run
port=$(free_port)
setsid make -C "$clone" -o build-programs run BUILD_DIR="$build" ARGS="--port $port --sim fast" >"$tmp/out" 2>&1 &
group=$!
wait_healthy "$port"
submit "$port"
where=$("$src/tools/pg_server.sh" where "$clone/.local/pg")
case $where in "$clone"*) fail "PostgreSQL's data is inside the clone, which its user cannot enter: $where" ;; esac
stop_group
[ -f "$where/pg/PG_VERSION" ] || fail "make run left no PostgreSQL data in $where"
echo "make run: answered on $port, PostgreSQL data in $where"

# make run again: the same PostgreSQL data, no new cluster.
version_before=$(stat -c %Y "$where/pg/PG_VERSION")
port=$(free_port)
setsid make -C "$clone" -o build-programs run BUILD_DIR="$build" ARGS="--port $port --sim fast" >"$tmp/out" 2>&1 &
group=$!
wait_healthy "$port"
[ "$(stat -c %Y "$where/pg/PG_VERSION")" = "$version_before" ] || fail "the second run initialised PostgreSQL again"
submit "$port"
stop_group
echo "make run again: answered on $port with the same PostgreSQL data"

# make cluster: two nodes and a gateway on three consecutive ports.
for _ in $(seq 50); do
  base=$(free_port)
  (exec 3<>"/dev/tcp/127.0.0.1/$((base + 1))") 2>/dev/null || (exec 3<>"/dev/tcp/127.0.0.1/$((base + 2))") 2>/dev/null || break
done
OEE_CLUSTER_PORT=$base setsid make -C "$clone" -o build-programs cluster BUILD_DIR="$build" >"$tmp/out" 2>&1 &
group=$!
wait_healthy "$base"
wait_healthy "$((base + 1))"
submit "$base"
submit "$((base + 1))"
stop_group
grep -q '^stopped' "$tmp/out" || fail "make cluster did not say it stopped"
echo "make cluster: both nodes answered on $base and $((base + 1))"
