#!/usr/bin/env bash
# The server's memory against the number of orders it has ever processed.
#
#   bench/chain_memory.sh [server binary] [checkpoints...]
#
# Starts the server (default build/bin/oee-server) with --sim fast on a
# fresh data dir, submits orders with oee-loadgen up to each checkpoint
# (default 100000 300000 600000 orders), waits until the executor is idle
# and the log has come to rest (oee_log_rests_total counts up),
# and prints the server's resident memory (VmRSS), its highest resident
# memory since the checkpoint before (VmHWM, reset at each checkpoint), the
# size of the simulated chain's ledger on disk, and what the event log's
# RocksDB says it holds in memory (memtables, table readers outside the
# block cache, the block cache) when the server reports it. Pass an older
# server binary to compare.
# Figures, not tests.
set -euo pipefail
cd "$(dirname "$0")/.."
server=${1:-build/bin/oee-server}; shift $(( $# > 0 ? 1 : 0 )) || true
checkpoints=("$@"); [ ${#checkpoints[@]} -gt 0 ] || checkpoints=(100000 300000 600000)
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
${SERVER_PREFIX:-} "$server" --data-dir "$dir/data" --port 0 --sim fast --log-level warn --durability async > "$dir/out" 2> "$dir/err" &
pid=$!
for _ in $(seq 100); do grep -q LISTENING "$dir/out" 2>/dev/null && break; sleep 0.1; done
grep -q LISTENING "$dir/out" || { echo "the server did not start: $(cat "$dir/err")" >&2; exit 1; }
port=$(sed -n 's/^LISTENING .*:\([0-9]*\)$/\1/p' "$dir/out")
url="http://127.0.0.1:$port"
done_orders=0
printf "%10s %10s %10s %12s %12s %12s %12s\n" orders rss_mb peak_mb chain_disk_mb memtables_mb readers_mb cache_mb
rests() { curl -s "$url/metrics" | awk '$1 == "oee_log_rests_total" { print $2; f=1 } END { if (!f) print 0 }'; }
for target in "${checkpoints[@]}"; do
  rests_before=$(rests)
  build/bin/oee-loadgen --target "$url" --connections 16 --orders $(( target - done_orders )) --duration 3600 \
    --drain 0 --json > /dev/null
  done_orders=$target
  for _ in $(seq 3000); do  # at most 10 minutes
    kill -0 $pid 2>/dev/null || { echo "the server died: $(tail -3 "$dir/err")" >&2; exit 1; }
    case "$(curl -s "$url/health")" in *'"inFlight":0,"waiting":0'*) break ;; esac
    sleep 0.2
  done
  for _ in $(seq 300); do  # the log rests 10 s after the last write: memtables flushed, heap trimmed
    [ "$(rests)" -gt "$rests_before" ] && break
    sleep 0.2
  done
  rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
  peak_kb=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
  echo 5 > "/proc/$pid/clear_refs"  # the next peak is the next interval's own
  disk_kb=$(du -sk "$dir/data/simchain" | cut -f1)
  metrics=$(curl -s "$url/metrics")
  part() { awk -v p="$1" '$1 == "oee_log_memory_bytes{part=\""p"\"}" { printf "%.1f", $2/1048576; f=1 } END { if (!f) printf "-" }' <<< "$metrics"; }
  awk -v n="$target" -v r="$rss_kb" -v h="$peak_kb" -v d="$disk_kb" -v m="$(part memtables)" -v t="$(part table_readers)" \
    -v c="$(part block_cache)" 'BEGIN { printf "%10d %10.1f %10.1f %12.1f %12s %12s %12s\n", n, r/1024, h/1024, d/1024, m, t, c }'
done
