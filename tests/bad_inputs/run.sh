#!/usr/bin/env bash
# The bad-input catalogue: runs every case of cases.txt through the real
# rnnlab binary and checks its exit code and a substring of its stderr.
#   tests/bad_inputs/run.sh RNNLAB_BINARY [--show]
# --show prints every case's exit code and first stderr line instead of
# checking (to write new expectations).
#
# cases.txt: one case per line, fields separated by " | ":
#   NAME | EXIT | SUBSTRING | ARGUMENTS
# ARGUMENTS is expanded by the shell with $F (tests/bad_inputs/files) and $W
# (a scratch folder, the current directory of every case, prepared below
# with a valid trained run and damaged copies of its checkpoint).
# Every case must also not crash (exit >= 128, which includes a sanitizer's
# abort and `timeout`'s 124 is checked separately), hang (timeout 20 s) or
# print a sanitizer or valgrind report.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exe="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
show=0
[ "${2:-}" = "--show" ] && show=1
F="$here/files"
W="$(mktemp -d "${TMPDIR:-/tmp}/rnnlab-bad-inputs.XXXXXX")"
trap 'chmod -R u+w "$W" 2>/dev/null; rm -rf "$W"' EXIT
export F W

# --- fixtures built at run time ----------------------------------------------
cd "$W" || exit 1
if ! "$exe" train "$F/tiny.ini" --run-dir run --quiet >prep.log 2>&1; then
  echo "bad_inputs: cannot train the base run:"; cat prep.log; exit 1
fi
ck=run/last.safetensors
# Same-length byte edits keep the header length right, so each damaged copy
# is wrong in exactly one way.
damage() { # NAME PERL-SUBSTITUTION
  perl -0777 -pe "$2" "$ck" >"$1.safetensors"
  cmp -s "$ck" "$1.safetensors" && { echo "bad_inputs: fixture $1 did not change"; exit 1; }
}
damage shape 's/("rnn.weight_hh_l0":\{"dtype":"F32","shape":)\[4,4\]/$1\[2,8\]/'
damage dtype 's/("rnn.bias_ih_l0":\{"dtype":)"F32","shape":\[4\]/$1"F64","shape":[2]/'
damage dtype_unknown 's/("out.bias":\{"dtype":)"F32"/$1"I32"/'
damage missing_tensor 's/"out.bias":/"out.biaz":/'
damage bad_config 's/hidden_size = 4\\n/hidden_size = x\\n/'
damage bad_format 's/"rnnlab-checkpoint"/"rnnlab-checkpoinX"/'
damage version 's/"format_version":"1"/"format_version":"9"/'
damage tok_state 's/char v1\\nsize 15\\n/char v1\\nsize 99\\n/'
damage offsets 's/("rnn.bias_hh_l0":\{"dtype":"F32","shape":\[4\],"data_offsets":\[)(\d+)/$1 . ($2+4)/e'
head -c 200 "$ck" >truncated_header.safetensors
head -c $(($(stat -c %s "$ck") - 10)) "$ck" >truncated_data.safetensors
: >empty.safetensors
printf 'this is not a checkpoint at all, just text\n' >garbage.safetensors
{ printf '\377\377\377\377\377\377\377\177'; tail -c +9 "$ck"; } >huge_len.safetensors
{ head -c 8 "$ck"; printf 'X'; tail -c +10 "$ck"; } >not_json.safetensors
for f in *.safetensors; do # a run folder around each, for train --resume
  d="${f%.safetensors}.run"
  mkdir "$d" && cp run/config.ini run/meta.json run/metrics.csv "$d/" && cp "$f" "$d/last.safetensors"
done
mkdir nockpt.run # a folder without a checkpoint, for train --resume
mkdir -p plugdir_ww && cp "$(dirname "$exe")/plugins/tanh.so" plugdir_ww/ && chmod 0777 plugdir_ww
cp "$(dirname "$exe")/plugins/relu.so" ww_relu.so && chmod 0666 ww_relu.so
printf 'not an elf file\n' >fake.so
# A plugin in the current folder: never searched, and a bare name is no path.
cp "$(dirname "$exe")/plugins/relu.so" relu2.so

# --- the cases ---------------------------------------------------------------
pass=0 fail=0 n=0
while IFS= read -r line; do
  case "$line" in '' | '#'*) continue ;; esac
  name="${line%% | *}"; rest="${line#* | }"
  want_rc="${rest%% | *}"; rest="${rest#* | }"
  want_msg="${rest%% | *}"; args="${rest#* | }"
  n=$((n + 1))
  cd "$W" || exit 1
  eval "set -- $args"
  timeout 20 "$exe" "$@" >"$W/err.txt" 2>&1 </dev/null
  rc=$?
  if [ $show -eq 1 ]; then
    printf '%s | %s | %s\n' "$name" "$rc" "$(head -c 300 "$W/err.txt" | head -2 | tr '\n' ' ')"
    continue
  fi
  why=""
  if [ $rc -eq 124 ]; then why="hung (killed after 20 s)"
  elif [ $rc -ge 128 ]; then why="crashed (exit $rc)"
  elif grep -qE "Sanitizer|runtime error:|Invalid read|Invalid write|definitely lost" "$W/err.txt"; then
    why="sanitizer report"
  elif [ "$rc" != "$want_rc" ]; then why="exit $rc, expected $want_rc"
  elif ! grep -qF -- "$want_msg" "$W/err.txt"; then why="stderr lacks '$want_msg'"
  fi
  if [ -z "$why" ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL $name: $why"
    sed 's/^/    /' "$W/err.txt" | head -20
  fi
done <"$here/cases.txt"
[ $show -eq 1 ] && exit 0
echo "bad_inputs: $n cases, $pass passed, $fail failed"
# The line .ci/test sums, in Criterion's format.
echo "Synthesis: Tested: $n | Passing: $pass | Failing: $fail | Crashing: 0"
[ $fail -eq 0 ] && [ $n -ge 60 ]
