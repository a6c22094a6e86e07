#!/usr/bin/env bash
# The cluster against the single node at several loads, one after the
# other in one run (docs/performance.md, "The cluster at 16, 64 and 256
# connections per node"): for each count C, `bench/cluster --only
# single,cluster --connections C` (the single node with two loadgens of C
# connections, then two nodes with a loadgen of C each), then one table of
# both curves: confirmed orders/s, submit p50 and p99, CPU per order.
# Figures, not tests. Results: bench/results/sweep-<time>/sweep.json and
# the bench/cluster runs it names.
#
#   bench/cluster_sweep.sh [--seconds S] [--bin DIR] [--partitions N] [C ...]   (default C: 16 64 256)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=10; bin=""; partitions=8; counts=()
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --partitions) partitions=$2; shift 2 ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "bench/cluster_sweep.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    *) [[ $1 =~ ^[1-9][0-9]*$ ]] || { echo "bench/cluster_sweep.sh: $1 is not a connection count" >&2; exit 2; }
       counts+=("$1"); shift ;;
  esac
done
[ ${#counts[@]} -gt 0 ] || counts=(16 64 256)
args=(--seconds "$seconds" --partitions "$partitions" --only single,cluster)
[ -z "$bin" ] || args+=(--bin "$bin")
out=bench/results/sweep-$(date +%Y%m%dT%H%M%S)
mkdir -p "$out"
runs=()
for c in "${counts[@]}"; do
  echo "== $c connections per node"
  before=$(ls -d bench/results/cluster-* 2>/dev/null | tail -1 || true)
  bench/cluster "${args[@]}" --connections "$c" > "$out/cluster-$c.log" 2>&1 ||
    { echo "bench/cluster_sweep.sh: bench/cluster at $c failed:" >&2; tail -20 "$out/cluster-$c.log" >&2; exit 1; }
  dir=$(ls -d bench/results/cluster-* | tail -1)
  [ "$dir" != "$before" ] || { echo "bench/cluster_sweep.sh: bench/cluster at $c left no results" >&2; exit 1; }
  runs+=("$dir/results.json")
done
jq -s --argjson counts "$(printf '%s\n' "${counts[@]}" | jq -s .)" '
  [range(0; length) as $i | .[$i] as $r | {
    connectionsPerNode: $counts[$i], settings: $r.settings,
    single: {perSecond: $r.single.confirmedPerSecond, p50Ms: $r.single.submitP50Ms, p99Ms: $r.single.submitP99Ms,
             cpuUsPerOrder: $r.single.nodeCpuUsPerOrder},
    cluster: {perSecond: $r.cluster.confirmedPerSecond, p50Ms: $r.cluster.submitP50Ms, p99Ms: $r.cluster.submitP99Ms,
              cpuUsPerOrder: ($r.cluster.nodesCpuUsPerOrder + $r.cluster.natsCpuUsPerOrder),
              chainWriterCpuUsPerOrder: $r.cluster.chainWriterCpuUsPerOrder},
    ordersPerSecondRatio: $r.summary.clusterOverSingleOrdersPerSecond.value,
    cpuPerOrderRatio: $r.summary.clusterOverSingleCpuPerOrder.value}]' "${runs[@]}" > "$out/sweep.json"
for i in "${!runs[@]}"; do echo "${runs[$i]}" >> "$out/runs.txt"; done
echo "== $out/sweep.json"
echo "| connections per node | single: orders/s, p50 / p99 ms | cluster: orders/s, p50 / p99 ms | orders/s ÷ single | CPU per order ÷ single |"
echo "|---|---|---|---|---|"
jq -r '.[] | "| \(.connectionsPerNode) | \(.single.perSecond), \(.single.p50Ms) / \(.single.p99Ms) | \(.cluster.perSecond), \(.cluster.p50Ms) / \(.cluster.p99Ms) | \(.ordersPerSecondRatio) | \(.cpuPerOrderRatio) |"' "$out/sweep.json"
