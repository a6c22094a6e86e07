#!/usr/bin/env bash
# The server's CPU per order, for comparing two builds on a noisy machine.
#
#   bench/cpu_per_order.sh [orders] [server binary...]
#
# For each server binary (default build/bin/oee-server), in turn: starts it
# with --sim fast (sync durability) on a fresh data dir, submits `orders`
# (default 200000) with oee-loadgen over 32 connections, waits until the
# executor is idle, and prints the server's user+system CPU per order, the
# rate from the first submit to idle, its VmRSS, and the CPU per order of
# each of its threads (by name), and the context switches per order (a
# voluntary one: a thread that waited, woken by another). Run it with the two
# builds several times over and compare the pairs. Figures, not tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/server_cpu.sh  # wait_idle, thread_ticks
orders=${1:-200000}; shift $(( $# > 0 ? 1 : 0 )) || true
servers=("$@"); [ ${#servers[@]} -gt 0 ] || servers=(build/bin/oee-server)
hz=$(getconf CLK_TCK)
for server in "${servers[@]}"; do
  dir=$(mktemp -d)
  pid=""
  trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
  start_fast "$server" "$dir" || exit 1
  start=$(date +%s.%N)
  build/bin/oee-loadgen --target "$url" --connections 32 --orders "$orders" --duration 3600 --drain 0 --json > /dev/null
  wait_idle "${url##*:}" $pid || { echo "$server: $(tail -3 "$dir/err")" >&2; exit 1; }
  end=$(date +%s.%N)
  read -r utime stime < <(awk '{print $14, $15}' "/proc/$pid/stat")
  rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
  awk -v s="$server" -v u="$utime" -v k="$stime" -v hz="$hz" -v n="$orders" -v a="$start" -v b="$end" -v r="$rss_kb" \
    'BEGIN { printf "%s: %.1f us CPU per order, %.0f orders/s, RSS %.0f MB\n", s, (u+k)/hz*1e6/n, n/(b-a), r/1024 }'
  # Per thread, by name (the comm field has no spaces here): where it goes.
  thread_ticks $pid | awk -v hz="$hz" -v n="$orders" '$2 > 0 {
      printf "  %-18s %6.1f us per order\n", $1, $2/hz*1e6/n }' | sort -k2 -nr
  # Wake-ups: a thread that waits is woken by another, per order.
  thread_switches $pid | awk -v n="$orders" '{ v += $2; i += $3; t[$1] = $2 } END {
      printf "  wake-ups: %.2f voluntary and %.2f involuntary context switches per order\n", v/n, i/n
      for (x in t) if (t[x] / n >= 0.05) printf "    %-18s %6.2f per order\n", x, t[x]/n }' | sort -k2 -nr
  kill $pid; wait $pid 2>/dev/null || true; rm -rf "$dir"
  trap - EXIT
done
