#!/usr/bin/env bash
# What authentication costs per order: the server's CPU per order with
# authentication off and on (an API key on every submit), alternating in
# the same run so the machine's noise hits both alike.
#
#   bench/auth_cost.sh [orders] [rounds]
#
# Each round starts build/bin/oee-server twice (--sim fast, sync
# durability, a fresh data dir): once without an admin key, once with one
# and an API key (orders:write) that oee-loadgen presents on each of
# `orders` (default 100000) submits over 32 connections. It waits until the
# executor is idle and prints user+system CPU per order and the log's size
# per order. The last line is each mode's CPU median over `rounds`
# (default 3) and on/off. Figures, not tests.
set -euo pipefail
cd "$(dirname "$0")/.."
orders=${1:-100000}; rounds=${2:-3}
hz=$(getconf CLK_TCK)
declare -A results=([off]="" [on]="")
source bench/auth_load.sh

one_run() {  # mode -> prints CPU us and log bytes per order
  local dir pid url key
  start_server "$1"
  load "$orders" 32
  read -r utime stime < <(awk '{print $14, $15}' "/proc/$pid/stat")
  bytes=$(du -sb "$dir/data/log" | cut -f1)
  stop
  awk -v u="$utime" -v k="$stime" -v hz="$hz" -v n="$orders" -v b="$bytes" \
    'BEGIN { printf "%.1f %.0f\n", (u+k)/hz*1e6/n, b/n }'
}

for round in $(seq "$rounds"); do
  for mode in off on; do
    read -r us bytes < <(one_run "$mode")
    echo "round $round, auth $mode: $us us CPU per order, log $bytes bytes per order"
    results[$mode]+="$us "
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
off=$(echo "${results[off]}" | median); on=$(echo "${results[on]}" | median)
awk -v off="$off" -v on="$on" 'BEGIN { printf "median: off %.1f us, on %.1f us per order: on/off %.3f\n", off, on, on/off }'
