#!/usr/bin/env bash
# kill -9 at any moment loses nothing: a run is killed again and again
# (at least 50 kills that land, nearly all of them inside `train --resume`:
# while it cuts metrics.csv back, trains, writes checkpoints, meta.json or
# the test rows, or resumes an already finished run), each time continued
# (or restarted with --force while it has no checkpoint yet); then one last
# resume runs undisturbed. Its checkpoints, metrics.csv and config.ini must
# be byte-identical to a run that was never interrupted, meta.json must say
# "ok" and no temp file may be left.
#
# The kill delays come from a fixed seed, scaled by how long the whole run
# takes on this machine (and scaled down whenever an attempt ends before
# its kill), so the kills spread over a resume's life however fast or busy
# the machine is. Where exactly each kill lands still depends on timing,
# but the assertions hold for every landing point: that is the promise
# under test, so the test passes or fails the same way every time.
# Usage: kill_loop.sh RNNLAB_BINARY SOURCE_ROOT
set -uo pipefail
exe=$(realpath "$1")
src=$(realpath "$2")
# The portable GEMM kernel: no JIT at start-up, so the kills spread over
# the whole of a resume rather than mostly over a JIT compiler's warm-up.
export RNNLAB_GEMM=builtin
# tmpfs when there is one: fsync is free there, so the loop takes seconds.
base=${TMPDIR:-/tmp}
[ -d /dev/shm ] && [ -w /dev/shm ] && base=/dev/shm
work=$(mktemp -d "$base/rnnlab-kill-loop.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
fail() { echo "FAIL: $*"; echo "[====] Synthesis: Tested: 1 | Passing: 0 | Failing: 1 | Crashing: 0"; exit 1; }
now() { date +%s.%N; }

cp "$src/tests/data/adding_tiny.ini" k.ini
# Many short epochs: many checkpoints, cuts and meta.json writes to land in.
long=(--set train.epochs=1000 --set data.train_size=16)

t0=$(now)
"$exe" train k.ini "${long[@]}" --run-dir ref --quiet >ref.log 2>&1 || fail "reference run: $(tail -3 ref.log)"
scale=$(echo "$t0 $(now)" | awk '{print ($2 - $1) / 2}')

# Fractions of the scale from a fixed seed.
mapfile -t fractions < <(awk 'BEGIN { srand(20250101); for (i = 0; i < 1000; i++) printf "%.4f\n", rand() }')

landed=0 resumed=0 attempts=0
while [ $landed -lt 50 ]; do
  [ $attempts -lt ${#fractions[@]} ] || fail "only $landed of 50 kills landed in $attempts attempts"
  if [ -f v/last.safetensors ]; then
    mode=resume
    "$exe" train --resume v --quiet >attempt.log 2>&1 &
  else
    mode=fresh
    "$exe" train k.ini "${long[@]}" --run-dir v --force --quiet >attempt.log 2>&1 &
  fi
  pid=$!
  sleep "$(awk -v f="${fractions[$attempts]}" -v s="$scale" 'BEGIN { printf "%.4f", f * s }')"
  kill -9 $pid 2>/dev/null
  { wait $pid; } 2>/dev/null # no "Killed" line from the shell
  rc=$?
  attempts=$((attempts + 1))
  if [ $rc -eq 137 ]; then
    landed=$((landed + 1))
    [ $mode = resume ] && resumed=$((resumed + 1))
  elif [ $rc -eq 0 ]; then # finished first: kill sooner from now on
    scale=$(awk -v s="$scale" 'BEGIN { print s * 0.7 }')
  else
    fail "attempt $attempts ($mode) exited $rc after the previous kill: $(tail -3 attempt.log)"
  fi
done

reached=$(grep -ao '"epoch":"[0-9]*"' v/last.safetensors 2>/dev/null | head -1 | tr -dc 0-9)
if [ -f v/last.safetensors ]; then
  "$exe" train --resume v --quiet >last.log 2>&1 || fail "the final resume: $(tail -3 last.log)"
else
  "$exe" train k.ini "${long[@]}" --run-dir v --force --quiet >last.log 2>&1 || fail "the final run: $(tail -3 last.log)"
fi
for f in last.safetensors best.safetensors metrics.csv config.ini; do
  cmp -s ref/$f v/$f || fail "$f differs from the uninterrupted run's"
done
grep -Eq '"status":[[:space:]]*"ok"' v/meta.json || fail "meta.json does not say ok: $(grep status v/meta.json)"
left=$(find v -name '*.tmp.*' | wc -l)
[ "$left" -eq 0 ] || fail "temp files left: $(find v -name '*.tmp.*')"
echo "kill_loop: $landed kills landed ($resumed inside a resume) in $attempts attempts, up to epoch ${reached:-0} of 1000; the result is byte-identical to an uninterrupted run"
echo "[====] Synthesis: Tested: 1 | Passing: 1 | Failing: 0 | Crashing: 0"
