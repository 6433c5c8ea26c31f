#!/usr/bin/env bash
# The POS tagger at the PyTorch reference settings of issue 16, rnnlab and
# PyTorch (bench/pos_torch.py) on the same UD English EWT train/dev, epoch by
# epoch: word input, lowercased, min_freq 2, H = 128, tanh, SGD lr 0.5
# without momentum, clip 5, batch 32, constant learning rate, no early stop,
# 1 thread each. Skips when the data or PyTorch is absent.
#
#   bench/pos_reference.sh [BUILD_DIR] [uni|bi] [EPOCHS] [SEED] [--set ...]
#
# (defaults: build uni 10 1). Extra arguments go to rnnlab train, e.g.
# --set data.max_len=160. Prints dev accuracy per epoch for both, then each
# one's training tokens/s and the ratio. For speed figures run it on a quiet
# machine: flock /tmp/rnnlab-quiet.lock bench/pos_reference.sh ...
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
dirs=${2:-uni}
epochs=${3:-10}
seed=${4:-1}
shift $(($# < 4 ? $# : 4))
data=${RNNLAB_SHARED_DATA:-$root/../shared/data}/ud-en-ewt
if [ ! -f "$data/train.conllu" ] || [ ! -f "$data/dev.conllu" ]; then
  echo "skip: $data/train.conllu and dev.conllu not found (set RNNLAB_SHARED_DATA)"
  exit 0
fi
bidir=false torch_bidir=()
[ "$dirs" = bi ] && bidir=true torch_bidir=(--bidirectional)
run=$(mktemp -d /tmp/rnnlab_pos_reference.XXXXXX)
"$build/rnnlab" train "$root/configs/pos_ud.ini" --quiet --run-dir "$run/rnnlab" \
  --set data.train="$data/train.conllu" --set data.dev="$data/dev.conllu" \
  --set model.bidirectional=$bidir --set optimizer.lr=0.5 --set optimizer.momentum=0 \
  --set train.schedule=constant --set train.patience=0 --set train.epochs="$epochs" \
  --set train.seed="$seed" --set train.threads=1 "$@"
RNNLAB_SHARED_DATA="${RNNLAB_SHARED_DATA:-$root/../shared/data}" \
  /usr/bin/python3 "$root/bench/pos_torch.py" "${torch_bidir[@]}" --epochs "$epochs" \
  --seed "$seed" --threads 1 >"$run/torch.txt"
if grep -q '^skip:' "$run/torch.txt"; then cat "$run/torch.txt"; fi
echo "EWT dev UPOS accuracy, $dirs tanh, reference settings, seed $seed (run folder $run)"
echo "epoch  rnnlab  pytorch"
awk -F, '$2=="dev" && $3=="accuracy" {printf "%s\n", $4}' "$run/rnnlab/metrics.csv" >"$run/r.txt"
awk '$1=="epoch" {print $6}' "$run/torch.txt" >"$run/t.txt"
paste "$run/r.txt" "$run/t.txt" | awk '{printf "%5d  %6.2f%%  %s\n", NR, 100*$1, $2=="" ? "-" : sprintf("%6.2f%%", 100*$2)}'
r_tps=$(sed -n 's/.*"train_tokens_per_second":[[:space:]]*\([0-9.e+]*\).*/\1/p' "$run/rnnlab/meta.json")
t_tps=$(sed -n 's/^best_dev_acc.* tokens_per_s \([0-9]*\).*/\1/p' "$run/torch.txt")
awk -v r="${r_tps:-0}" -v t="${t_tps:-0}" 'BEGIN {
  printf "training tokens/s, 1 thread: rnnlab %.0f, pytorch %.0f", r, t
  if (t > 0) printf " (%.1fx)", r / t
  printf "\n" }'
isa=$(grep -q avx512f /proc/cpuinfo && echo AVX-512 || echo AVX2)
echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $isa;" \
  "$("$build/rnnlab" version | grep gemm | tr '\n' ';')"
