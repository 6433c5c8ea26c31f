#!/usr/bin/env bash
# Trains configs/char_lm.ini on tinyshakespeare (../shared/data) and reports
# validation bits per character. Skips when the shared data is absent. Usage:
#   bench/char_shakespeare.sh [BUILD_DIR] [--set ...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
data=${RNNLAB_SHARED_DATA:-$root/../shared/data}/tinyshakespeare/input.txt
if [ ! -f "$data" ]; then
  echo "skip: $data not found (set RNNLAB_SHARED_DATA)"
  exit 0
fi
run=$(mktemp -d /tmp/rnnlab_char_shakespeare.XXXXXX)
start=$(date +%s)
"$build/rnnlab" train "$root/configs/char_lm.ini" --quiet --run-dir "$run" \
  --set data.train="$data" --set data.valid_fraction=0.1 "${@:2}"
end=$(date +%s)
best=$(awk -F, '$2=="dev" && $3=="bits_per_token" && (b=="" || $4<b) {b=$4} END {printf "%.3f", b}' "$run/metrics.csv")
tps=$(sed -n 's/.*"train_tokens_per_second":[[:space:]]*\([0-9.]*\).*/\1/p' "$run/meta.json")
echo "tinyshakespeare validation bits per character: $best ($((end - start)) s, $(printf %.0f "$tps") train tokens/s, run $run)"
