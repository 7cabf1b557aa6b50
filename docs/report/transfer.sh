#!/usr/bin/env bash
# The transfer-learning study of docs/REPORT.md ("Transfer learning", option B): the digits CNN
# pretrained on the digits 0-4 (configs/digits_pretrain.toml, seed 7), then the digits 5-9
# learned from 10, 25 and 50 training images per class, in three ways, over seeds 1-10 (each
# seed its own split, its own choice of the few training images and its own head init):
#   frozen  - both convolution blocks frozen, the Linear layers trained, a new output layer
#   finetune - every layer trained from the pretrained weights, a new output layer
#   scratch - every layer from the seed (no pretrained weight used)
# Usage: docs/report/transfer.sh [scratch|torch] (default: both). Writes sweeps/transfer-*.
set -euo pipefail
cd "$(dirname "$0")/../.."
backends=("${@:-scratch torch}")
# shellcheck disable=SC2206
backends=(${backends[*]})
bin() { echo "target/release/$1"; }
pre=checkpoints/scratch-digits_pretrain
if [ ! -f "$pre/best.safetensors" ]; then
    "$(bin scratch)" train --config configs/digits_pretrain.toml --quiet --out "$pre"
fi
for b in "${backends[@]}"; do
    common=(--config configs/digits_transfer.toml --grid data.train_per_class=10,25,50 --seeds 1..10 --jobs 2)
    "$(bin "$b")" sweep "${common[@]}" --out "sweeps/transfer-frozen-$b"
    "$(bin "$b")" sweep "${common[@]}" --set 'model.freeze=[]' --out "sweeps/transfer-finetune-$b"
    # reinit = ["net"] takes every tensor from the seed: training from scratch on the same rows.
    "$(bin "$b")" sweep "${common[@]}" --set 'model.freeze=[]' --set 'model.reinit=["net"]' \
        --out "sweeps/transfer-scratch-$b"
done
