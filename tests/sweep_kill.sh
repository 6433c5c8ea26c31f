#!/usr/bin/env bash
# The sweep runner survives a killed worker: SIGKILL one `rnnlab train`
# child in the middle of its run; the sweep goes on with the others, records
# that run as failed, exits non-zero, and `--rerun-failed` finishes it.
# Usage: sweep_kill.sh RNNLAB_BINARY
set -uo pipefail
exe=$(realpath "$1")
work=$(mktemp -d "${TMPDIR:-/tmp}/rnnlab-sweep-kill.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
cat >base.ini <<'INI'
[data]
name = synthetic
task = adding
length = 20
train_size = 20000
dev_size = 100
test_size = 0
batch_size = 20
[tokenizer]
name = char
[model]
hidden_size = 16
[loss]
name = mse
[train]
epochs = 20
log_every = 1000
INI
cat >s.ini <<'INI'
[sweep]
base = base.ini
seeds = 1..2
INI
fail() { echo "FAIL: $*"; echo "[====] Synthesis: Tested: 1 | Passing: 0 | Failing: 1 | Crashing: 0"; exit 1; }

"$exe" sweep s.ini -j 1 --out out >sweep1.txt 2>&1 &
sweep=$!
victim=""
for _ in $(seq 1 200); do # up to 20 s for the first run to start
  victim=$(pgrep -f -- "$work/base.ini .*--run-dir out/runs/" | head -1)
  [ -n "$victim" ] && break
  sleep 0.1
done
[ -n "$victim" ] || { kill "$sweep"; fail "no training run started"; }
sleep 0.5
kill -9 "$victim"
# The other run must still be allowed to finish: shorten nothing, just wait.
wait "$sweep"
rc=$?
[ $rc -ne 0 ] || fail "the sweep exited 0 although a run was killed"
grep -q "failed" sweep1.txt || fail "the sweep did not report the killed run as failed"
[ "$(grep -c ',ok,' out/runs.csv)" -eq 1 ] || fail "expected the other run ok in runs.csv"
[ "$(grep -c ',failed,' out/runs.csv)" -eq 1 ] || fail "expected one failed run in runs.csv"
# A plain re-run leaves the failed run alone; --rerun-failed runs it.
"$exe" sweep s.ini -j 1 --out out --rerun-failed >sweep2.txt 2>&1 || fail "the re-run failed: $(tail -3 sweep2.txt)"
[ "$(grep -c ',ok,' out/runs.csv)" -eq 2 ] || fail "after --rerun-failed both runs should be ok"
echo "sweep_kill: the killed run was marked failed and --rerun-failed finished it"
echo "[====] Synthesis: Tested: 1 | Passing: 1 | Failing: 0 | Crashing: 0"
