#!/usr/bin/env bash
# What each order costs a 2-node cluster in NATS messages, CPU by thread and
# wake-ups, for comparing two builds or two settings on a noisy machine.
#
#   bench/cluster_messages.sh [orders] [bin dir]
#
# Starts 3 NATS JetStream servers (tools/nats_cluster.sh) and two nodes
# (--sim fast --fail-rate 0, 8 partitions) from the bin dir (default
# build/bin), waits until they share the partitions, submits `orders`
# (default 6000) half to each node with oee-loadgen (16 connections each),
# waits until both executors are idle, and prints per accepted order: the
# client messages into and out of the servers and the messages stored (all
# streams, every replica; from /varz and /jsz, summed over the servers), the
# messages each stream holds, the nodes' CPU by thread name and their
# voluntary context switches by thread name. Settings reach the nodes
# through the environment (OEE_FOLD_ALL_PARTITIONS=true, say). Figures,
# not tests.
#
# With PROFILE_DIR set, it also profiles the load for PROFILE_SECONDS
# (default 5), from one second after it starts: each NATS server's Go CPU
# profile (DIR/nats-I.pb.gz, summed by bench/profile/top.mjs, which needs
# `npm ci --prefix bench/profile`) and both nodes with `perf record -g`
# (DIR/nodes.perf); then prints both profiles' top entries. Give it orders
# enough to outlast the profile.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/server_cpu.sh  # thread_ticks, thread_switches
orders=${1:-6000}
bin=$(realpath "${2:-build/bin}")
for tool in jq curl; do command -v $tool >/dev/null || { echo "bench/cluster_messages.sh: needs $tool" >&2; exit 2; }; done
work=$(mktemp -d)
cleanup() {
  pkill -9 -f "data-dir $work/" 2>/dev/null || true
  tools/nats_cluster.sh stop "$work/nats" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
profile_dir=${PROFILE_DIR:+$(realpath -m "$PROFILE_DIR")}
profile_seconds=${PROFILE_SECONDS:-5}
if [ -n "$profile_dir" ]; then
  mkdir -p "$profile_dir"
  [ -d bench/profile/node_modules/pprof-format ] || { echo "bench/cluster_messages.sh: run npm ci --prefix bench/profile first" >&2; exit 2; }
  export OEE_NATS_PROFILE=true
fi
urls=$(tools/nats_cluster.sh start "$work/nats" 3 | tail -1)
node() {
  OEE_NATS_URL="$urls" "$bin/oee-server" --node "$1" --partitions 8 --port 0 --data-dir "$work/$1" --sim fast \
    --fail-rate 0 --sim-launch-every 0 --log-level warn > "$work/$1.out" 2> "$work/$1.err" &
  for _ in $(seq 600); do grep -q LISTENING "$work/$1.out" 2>/dev/null && break; sleep 0.05; done
  sed -n 's/^LISTENING .*:\([0-9]*\)$/\1/p' "$work/$1.out"
}
pa=$(node a); pb=$(node b)
[ -n "$pa" ] && [ -n "$pb" ] || { echo "a node did not start: $(tail -n 3 "$work"/*.err)" >&2; exit 1; }
for _ in $(seq 300); do
  ea=$(curl -s "http://127.0.0.1:$pa/api/cluster" | jq '.executedHere | length')
  eb=$(curl -s "http://127.0.0.1:$pb/api/cluster" | jq '.executedHere | length')
  [ "$ea" -ge 4 ] && [ "$eb" -ge 4 ] && break
  sleep 0.2
done
servers() {
  for i in 1 2 3; do
    hp=$(cat "$work/nats/n$i/http-port")
    v=$(curl -s "http://127.0.0.1:$hp/varz"); j=$(curl -s "http://127.0.0.1:$hp/jsz")
    echo "$(jq '.in_msgs' <<<"$v") $(jq '.out_msgs' <<<"$v") $(jq '.messages' <<<"$j")"
  done | awk '{a += $1; b += $2; c += $3} END {print a, b, c}'
}
threads() {
  for p in $(pgrep -f "data-dir $work/[ab]"); do
    thread_switches "$p"
    thread_ticks "$p" | awk '{print "cpu:" $1, $2, 0}'
  done | awk '{v[$1] += $2; i[$1] += $3} END {for (n in v) print n, v[n], i[n]}' | sort
}
s0=$(servers); threads > "$work/threads0"
half=$((orders / 2))
"$bin/oee-loadgen" --json --target "http://127.0.0.1:$pa" --connections 16 --duration 600 --orders $half > "$work/la.json" &
la=$!
"$bin/oee-loadgen" --json --target "http://127.0.0.1:$pb" --connections 16 --duration 600 --orders $half > "$work/lb.json" &
lb=$!
if [ -n "$profile_dir" ]; then
  sleep 1
  profilers=()
  for i in 1 2 3; do
    curl -s -o "$profile_dir/nats-$i.pb.gz" \
      "http://127.0.0.1:$(cat "$work/nats/n$i/prof-port")/debug/pprof/profile?seconds=$profile_seconds" &
    profilers+=($!)
  done
  if command -v perf >/dev/null; then
    perf record -q -F 999 -g -o "$profile_dir/nodes.perf" -p "$(pgrep -d, -f "data-dir $work/[ab]")" \
      -- sleep "$profile_seconds" 2>/dev/null &
    profilers+=($!)
  fi
  wait "${profilers[@]}"
  kill -0 $la 2>/dev/null && kill -0 $lb 2>/dev/null ||
    echo "bench/cluster_messages.sh: the load ended before the profile did: give it more orders" >&2
fi
wait $la $lb
for p in $pa $pb; do
  for _ in $(seq 300); do curl -s "http://127.0.0.1:$p/health" | grep -q '"inFlight":0,"waiting":0' && break; sleep 0.2; done
done
s1=$(servers); threads > "$work/threads1"
n=$(jq -s '[.[].accepted] | add' "$work/la.json" "$work/lb.json")
read -r i0 o0 m0 <<<"$s0"; read -r i1 o1 m1 <<<"$s1"
awk -v n="$n" -v i=$((i1 - i0)) -v o=$((o1 - o0)) -v m=$((m1 - m0)) 'BEGIN {
  printf "%d orders; per order: client messages in %.2f, out %.2f; stored (all streams, every replica) %.2f\n", n, i/n, o/n, m/n }'
echo "messages each stream holds (every replica):"
for i in 1 2 3; do curl -s "http://127.0.0.1:$(cat "$work/nats/n$i/http-port")/jsz?streams=true"; done |
  jq -r '.account_details[]?.stream_detail[]? | "\(.name) \(.state.messages)"' |
  awk '{m[$1] += $2} END {for (k in m) printf "  %-16s %d\n", k, m[k]}' | sort
echo "both nodes, per order, by thread name:"
join "$work/threads0" "$work/threads1" | awk -v n="$n" -v hz="$(getconf CLK_TCK)" '{
    d = $4 - $2
    if ($1 ~ /^cpu:/) { if (d > 0) printf "  %-18s %7.1f us CPU\n", substr($1, 5), d/hz*1e6/n }
    else { v += d; inv += $5 - $3; if (d/n >= 0.05) printf "  %-18s %7.2f voluntary switches\n", $1, d/n } }
  END { printf "  all threads: %.2f voluntary, %.2f involuntary switches\n", v/n, inv/n }'
if [ -n "$profile_dir" ]; then
  echo "the NATS servers' profile ($profile_dir/nats-*.pb.gz):"
  command node bench/profile/top.mjs --top 20 "$profile_dir"/nats-*.pb.gz | sed 's/^/  /'
  if [ -s "$profile_dir/nodes.perf" ]; then
    echo "the nodes' profile ($profile_dir/nodes.perf), by shared object and by symbol:"
    perf report -i "$profile_dir/nodes.perf" --no-children --sort dso --stdio -g none 2>/dev/null |
      grep -v '^#' | grep -v '^$' | head -8 | sed 's/^/  /'
    perf report -i "$profile_dir/nodes.perf" --no-children --sort sym --stdio -g none 2>/dev/null |
      grep -v '^#' | grep -v '^$' | head -30 | sed 's/^/  /'
  fi
fi
