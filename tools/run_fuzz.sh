#!/usr/bin/env bash
# Runs each libFuzzer target for SECONDS from its seed corpus, FUZZ_JOBS
# (default: the number of cores) at a time.
# Usage: tools/run_fuzz.sh BUILD_DIR SECONDS [TARGET...]
# New inputs go to BUILD_DIR/corpus/<target> (the seeds in tests/fuzz/corpus
# stay as committed); a crash leaves its input in BUILD_DIR/artifacts and
# fails the run.
set -euo pipefail
build=$1
seconds=$2
shift 2
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then  # every target tests/fuzz/CMakeLists.txt built
  for bin in "$build"/tests/fuzz/oee_fuzz_*; do targets+=("${bin##*/oee_fuzz_}"); done
fi
jobs=${FUZZ_JOBS:-$(nproc)}
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$build/artifacts"

fuzz() {  # one target; its summary (or its failure) as one block of output
  local t=$1
  mkdir -p "$build/corpus/$t"
  if ! "$build/tests/fuzz/oee_fuzz_$t" -max_total_time="$seconds" -max_len=70000 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" \
      "$build/corpus/$t" "$root/tests/fuzz/corpus/$t" > "$build/fuzz-$t.log" 2>&1; then
    { echo "fuzz $t FAILED: see $build/fuzz-$t.log and $build/artifacts/"; tail -40 "$build/fuzz-$t.log"; } > "$build/fuzz-$t.summary"
    return 1
  fi
  { echo -n "fuzz $t (${seconds}s): "
    grep -E "stat::number_of_executed_units|stat::new_units_added" "$build/fuzz-$t.log" | tr '\n' ' '
    echo; } > "$build/fuzz-$t.summary"
}

failed=0
running=0
for t in "${targets[@]}"; do
  if [ "$running" -ge "$jobs" ]; then wait -n || failed=1; running=$((running - 1)); fi
  fuzz "$t" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do wait -n || failed=1; running=$((running - 1)); done
for t in "${targets[@]}"; do cat "$build/fuzz-$t.summary"; done
exit $failed
