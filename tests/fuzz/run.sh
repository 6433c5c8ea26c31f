#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzzing build for a bounded time.
#   tests/fuzz/run.sh BUILD_DIR SECONDS_PER_TARGET [TARGET...]
# Each target starts from its seed corpus (tests/fuzz/corpus/<target>/,
# read-only: new inputs go to a scratch folder) and first replays its
# regression inputs (tests/fuzz/regressions/<target>/), which must all pass.
# Prints one line per target: executions, corpus size, result. Exits 1 if any
# target crashed, leaked or timed out; the crashing input is kept in
# BUILD_DIR/fuzz-artifacts/<target>/ to be turned into a regression input.
set -uo pipefail
src="$(cd "$(dirname "$0")" && pwd)"
build="$1"
secs="$2"
shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(config sweep checkpoint tok_char tok_word tok_bpe conllu tsv text)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
status=0
for t in "${targets[@]}"; do
  exe="$build/tests/fuzz/fuzz_$t"
  [ -x "$exe" ] || { echo "fuzz $t: $exe not built"; status=1; continue; }
  art="$build/fuzz-artifacts/$t"
  work="$build/fuzz-corpus/$t"
  mkdir -p "$art" "$work"
  log="$build/fuzz-$t.log"
  if [ -d "$src/regressions/$t" ] && [ -n "$(ls -A "$src/regressions/$t")" ]; then
    if ! "$exe" "$src/regressions/$t"/* >"$log.regressions" 2>&1; then
      echo "fuzz $t: a regression input fails again (see $log.regressions)"
      status=1
      continue
    fi
  fi
  # -rss_limit_mb: the sweep and tokenizer limits are far below it, so an
  # input that needs more is a finding, not noise.
  "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
    -artifact_prefix="$art/" -print_final_stats=1 "$work" "$src/corpus/$t" >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  corpus=$(ls "$work" | wc -l)
  if [ $rc -eq 0 ]; then
    echo "fuzz $t: ${runs:-?} executions in ${secs}s, $corpus new corpus inputs, no findings"
  else
    echo "fuzz $t: FAILED after ${runs:-?} executions (exit $rc); input in $art, log $log"
    grep -m3 -E "ERROR|SUMMARY|runtime error" "$log" | sed 's/^/  /'
    status=1
  fi
done
exit $status
