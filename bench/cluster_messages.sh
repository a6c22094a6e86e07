#!/usr/bin/env bash
# What each order costs a cluster in NATS messages, CPU by thread and
# wake-ups, for comparing two builds or two settings on a noisy machine.
#
#   bench/cluster_messages.sh [orders] [bin dir]
#
# Starts 3 NATS JetStream servers (tools/nats_cluster.sh) and NODES nodes
# (default 2; --sim fast --fail-rate 0, 8 partitions) from the bin dir
# (default build/bin), waits until they share the partitions, submits
# `orders` (default 6000) split evenly over the nodes with oee-loadgen
# (CONNECTIONS each, default 16),
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
# `npm ci --prefix bench/profile`) and the nodes with `perf record -g`
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
names=(a b c d e f g h)
nodes=${NODES:-2}; connections=${CONNECTIONS:-16}
[ "$nodes" -ge 1 ] && [ "$nodes" -le 8 ] || { echo "bench/cluster_messages.sh: NODES is 1 to 8" >&2; exit 2; }
names=("${names[@]:0:$nodes}")
ports=()
for n in "${names[@]}"; do
  p=$(node "$n")
  [ -n "$p" ] || { echo "node $n did not start: $(tail -n 3 "$work/$n.err")" >&2; exit 1; }
  ports+=("$p")
done
# Shared out: every node executes 8 / NODES partitions (rounded down).
for _ in $(seq 600); do
  shared=1
  for p in "${ports[@]}"; do
    [ "$(curl -s "http://127.0.0.1:$p/api/cluster" | jq '.executedHere | length')" -ge $((8 / nodes)) ] || shared=0
  done
  [ "$shared" = 1 ] && break
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
  for p in $(pgrep -f "data-dir $work/[a-h]"); do
    thread_switches "$p"
    thread_ticks "$p" | awk '{print "cpu:" $1, $2, 0}'
  done | awk '{v[$1] += $2; i[$1] += $3} END {for (n in v) print n, v[n], i[n]}' | sort
}
s0=$(servers); threads > "$work/threads0"
loads=()
for i in "${!ports[@]}"; do
  "$bin/oee-loadgen" --json --target "http://127.0.0.1:${ports[$i]}" --connections "$connections" --duration 600 \
    --orders $((orders / nodes)) > "$work/load-${names[$i]}.json" &
  loads+=($!)
done
if [ -n "$profile_dir" ]; then
  sleep 1
  profilers=()
  for i in 1 2 3; do
    curl -s -o "$profile_dir/nats-$i.pb.gz" \
      "http://127.0.0.1:$(cat "$work/nats/n$i/prof-port")/debug/pprof/profile?seconds=$profile_seconds" &
    profilers+=($!)
  done
  if command -v perf >/dev/null; then
    perf record -q -F 999 -g -o "$profile_dir/nodes.perf" -p "$(pgrep -d, -f "data-dir $work/[a-h]")" \
      -- sleep "$profile_seconds" 2>/dev/null &
    profilers+=($!)
  fi
  wait "${profilers[@]}"
  ended=0
  for l in "${loads[@]}"; do kill -0 "$l" 2>/dev/null || ended=1; done
  [ "$ended" = 0 ] ||
    echo "bench/cluster_messages.sh: the load ended before the profile did: give it more orders" >&2
fi
wait "${loads[@]}"
for p in "${ports[@]}"; do
  for _ in $(seq 300); do curl -s "http://127.0.0.1:$p/health" | grep -q '"inFlight":0,"waiting":0' && break; sleep 0.2; done
done
s1=$(servers); threads > "$work/threads1"
n=$(jq -s '[.[].accepted] | add' "$work"/load-*.json)
read -r i0 o0 m0 <<<"$s0"; read -r i1 o1 m1 <<<"$s1"
awk -v n="$n" -v i=$((i1 - i0)) -v o=$((o1 - o0)) -v m=$((m1 - m0)) 'BEGIN {
  printf "%d orders; per order: client messages in %.2f, out %.2f; stored (all streams, every replica) %.2f\n", n, i/n, o/n, m/n }'
echo "messages each stream holds (every replica):"
for i in 1 2 3; do curl -s "http://127.0.0.1:$(cat "$work/nats/n$i/http-port")/jsz?streams=true"; done |
  jq -r '.account_details[]?.stream_detail[]? | "\(.name) \(.state.messages)"' |
  awk '{m[$1] += $2} END {for (k in m) printf "  %-16s %d\n", k, m[k]}' | sort
echo "every node, per order, by thread name:"
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
