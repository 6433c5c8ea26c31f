#!/usr/bin/env bash
# Trains configs/pos_ud.ini on UD English EWT (../shared/data/ud-en-ewt) and
# reports dev UPOS accuracy. Skips when the shared data is absent. Usage:
#   bench/pos_ud.sh [BUILD_DIR]        (default: build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
data=${RNNLAB_SHARED_DATA:-$root/../shared/data}/ud-en-ewt
if [ ! -f "$data/train.conllu" ] || [ ! -f "$data/dev.conllu" ]; then
  echo "skip: $data/train.conllu and dev.conllu not found (set RNNLAB_SHARED_DATA)"
  exit 0
fi
run=$(mktemp -d /tmp/rnnlab_pos_ud.XXXXXX)
start=$(date +%s)
"$build/rnnlab" train "$root/configs/pos_ud.ini" --quiet --run-dir "$run" \
  --set data.train="$data/train.conllu" --set data.dev="$data/dev.conllu" "${@:2}"
end=$(date +%s)
best=$(awk -F, '$2=="dev" && $3=="accuracy" && $4>b {b=$4} END {printf "%.2f", 100*b}' "$run/metrics.csv")
last=$(awk -F, '$2=="dev" && $3=="accuracy" {a=$4} END {printf "%.2f", 100*a}' "$run/metrics.csv")
echo "UD English EWT dev UPOS accuracy: best $best%, last $last% ($((end - start)) s, run $run)"
