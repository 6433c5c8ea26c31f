#!/usr/bin/env bash
# A plugin that ends the process mid-training never makes the run look
# successful. The optimizer of tests/broken/dies.c ends it on its 20th step:
#  - exit(0): exit code 6, stderr and meta.json name the plugin, its file
#    and the op ("step"), meta.json says "failed";
#  - a crash (SIGSEGV): a non-zero status, the same naming on stderr,
#    meta.json still "running";
#  - _exit(0): nothing in the process can see it (status 0), but meta.json
#    still says "running";
# and a sweep over the three and plain sgd records exactly one run ok and
# three failed, judging by meta.json, not by the exit status.
# Usage: plugin_death.sh RNNLAB_BINARY BROKEN_PLUGIN_DIR SOURCE_ROOT
set -uo pipefail
exe=$(realpath "$1")
broken=$(realpath "$2")
src=$(realpath "$3")
export RNNLAB_GEMM=builtin
work=$(mktemp -d "${TMPDIR:-/tmp}/rnnlab-plugin-death.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
fail() { echo "FAIL: $*"; echo "[====] Synthesis: Tested: 1 | Passing: 0 | Failing: 1 | Crashing: 0"; exit 1; }
status() { sed -n 's/.*"status":[[:space:]]*"\([a-z]*\)".*/\1/p' "$1/meta.json"; }

cp "$src/tests/data/adding_tiny.ini" base.ini

# 4 tensors per step, 4 steps per epoch: the 20th step call is in epoch 2 of 3.
"$exe" train base.ini --run-dir exit --quiet --set "optimizer.name=$broken/broken_dies_exit.so" 2>exit.err
rc=$?
[ $rc -eq 6 ] || fail "exit(0) in a plugin: exit code $rc, expected 6"
want="a plugin called exit() inside optimizer 'dies' (plugin 'dies', $broken/broken_dies_exit.so), op step; the run did not finish"
grep -qF "rnnlab: error: $want" exit.err || fail "exit(0): stderr was: $(cat exit.err)"
[ "$(status exit)" = failed ] || fail "exit(0): meta.json status '$(status exit)', expected failed"
grep -qF "$want" exit/meta.json || fail "exit(0): meta.json has no message naming the plugin"

{ "$exe" train base.ini --run-dir crash --quiet --set "optimizer.name=$broken/broken_dies_crash.so" 2>crash.err; } 2>/dev/null
rc=$?
[ $rc -ne 0 ] || fail "a crashing plugin: exit code 0"
grep -qF "rnnlab: fatal: the process crashed (SIGSEGV, invalid memory access) inside optimizer 'dies' (plugin 'dies', $broken/broken_dies_crash.so), op step; the run did not finish" crash.err ||
  fail "crash: stderr was: $(head -5 crash.err)"
[ "$(status crash)" = running ] || fail "crash: meta.json status '$(status crash)', expected running"

"$exe" train base.ini --run-dir quick --quiet --set "optimizer.name=$broken/broken_dies_quick_exit.so" 2>quick.err
rc=$?
[ $rc -eq 0 ] || fail "_exit(0): exit code $rc (nothing in the process can see it: 0 expected)"
[ "$(status quick)" = running ] || fail "_exit(0): meta.json status '$(status quick)', expected running"

cat >s.ini <<INI
[sweep]
base = base.ini
optimizer.name = sgd, $broken/broken_dies_exit.so, $broken/broken_dies_quick_exit.so, $broken/broken_dies_crash.so
INI
"$exe" sweep s.ini --out out >sweep.txt 2>&1
rc=$?
[ $rc -ne 0 ] || fail "the sweep exited 0 with three failed runs"
[ "$(grep -c ',ok,' out/runs.csv)" -eq 1 ] || fail "runs.csv: expected 1 ok run: $(cat out/runs.csv)"
[ "$(grep -c ',failed,' out/runs.csv)" -eq 3 ] || fail "runs.csv: expected 3 failed runs: $(cat out/runs.csv)"
grep -qF "FAILED: exit code 0, but meta.json does not say ok" sweep.txt ||
  fail "the sweep did not say why the _exit(0) run failed: $(cat sweep.txt)"
echo "plugin_death: exit(0), _exit(0) and a crash inside a plugin each leave a failed run, named"
echo "[====] Synthesis: Tested: 1 | Passing: 1 | Failing: 0 | Crashing: 0"
