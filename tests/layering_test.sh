#!/usr/bin/env bash
# tools/check_layering.sh passes on this tree and fails on a copy of it
# with an include planted the wrong way, naming the file and line.
set -euo pipefail
root=${1:?source root}
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
check="$root/tools/check_layering.sh"
bash "$check" "$root" > /dev/null || { echo "FAIL: the tree itself breaks the layering" >&2; exit 1; }
cp -r "$root"/{eventlog,core,projections,api,tools,bench} "$copy"/
mkdir -p "$copy/tests" && cp -r "$root"/tests/{unit,integration,e2e,support} "$copy/tests"/
sed -i '1a #include "api/http/api_error.h"' "$copy/core/domain/order.cpp"
if out=$(bash "$check" "$copy" 2>&1); then
  echo "FAIL: a wrong-way include passed" >&2; exit 1
fi
grep -q '^core/domain/order.cpp:2: .*points up the dependency order' <<< "$out" ||
  { echo "FAIL: the report does not name the include: $out" >&2; exit 1; }
# The two log backends are siblings: neither may include the other.
sed -i '1a #include "eventlog/rocksdb/rocksdb_log.h"' "$copy/eventlog/jetstream/layout.cpp"
out=$(bash "$check" "$copy" 2>&1) || true
grep -q '^eventlog/jetstream/layout.cpp:2: .*points up the dependency order' <<< "$out" ||
  { echo "FAIL: the cluster log may include the embedded one: $out" >&2; exit 1; }
echo "ok: $out"
