#!/usr/bin/env bash
# Runs each libFuzzer target for SECONDS from its seed corpus.
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
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$build/artifacts"
failed=0
for t in "${targets[@]}"; do
  mkdir -p "$build/corpus/$t"
  echo "fuzz $t: ${seconds}s"
  if ! "$build/tests/fuzz/oee_fuzz_$t" -max_total_time="$seconds" -max_len=70000 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" \
      "$build/corpus/$t" "$root/tests/fuzz/corpus/$t" > "$build/fuzz-$t.log" 2>&1; then
    echo "fuzz $t FAILED: see $build/fuzz-$t.log and $build/artifacts/"
    tail -40 "$build/fuzz-$t.log"
    failed=1
  else
    grep -E "stat::number_of_executed_units|stat::new_units_added" "$build/fuzz-$t.log" | tr '\n' ' '
    echo
  fi
done
exit $failed
