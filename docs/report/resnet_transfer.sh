#!/usr/bin/env bash
# The ResNet transfer study of docs/REPORT.md ("Transfer learning with a ResNet"): the small
# ResNet of configs/digits_resnet.toml pretrained on the digit files of the classes 0-4 (seed 7),
# then the digits 5-9 learned from 25 training images per class, in four ways, over seeds 1-10
# (each seed its own split, its own few training images and its own head init):
#   head    - fixed feature extractor: everything but `fc` frozen, BatchNorms included
#   last    - the stem and layer1 frozen: layer2 (the last stage) and `fc` train
#   full    - every layer trains, the backbone at a tenth of the head's learning rate
#   all     - every layer trains at one learning rate
#   scratch - every tensor from the seed (no pretrained weight used)
# In every mode `fc` starts from the seed (`model.reinit`): 5-9 are new classes.
# Usage: docs/report/resnet_transfer.sh [scratch|torch] (default: both). Writes sweeps/resnet-*.
set -euo pipefail
cd "$(dirname "$0")/../.."
backends=("${@:-scratch torch}")
# shellcheck disable=SC2206
backends=(${backends[*]})
bin() { echo "target/release/$1"; }
pre=checkpoints/scratch-digits_resnet_pretrain
if [ ! -f "$pre/best.safetensors" ]; then
    "$(bin scratch)" train --config configs/digits_resnet.toml --quiet --out "$pre" \
        --set 'data.keep_classes=["0","1","2","3","4"]' --set train.epochs=15
fi
for b in "${backends[@]}"; do
    common=(--config configs/digits_resnet.toml --grid data.train_per_class=25 --seeds 1..10 --jobs 2
        --set 'data.keep_classes=["5","6","7","8","9"]' --set train.epochs=30
        --set train.early_stopping.patience=8 --set "model.init_from=\"$pre/best.safetensors\""
        --set 'model.reinit=["fc"]')
    "$(bin "$b")" sweep "${common[@]}" --set 'model.freeze=["conv1","bn1","layer1","layer2"]' \
        --out "sweeps/resnet-head-$b"
    "$(bin "$b")" sweep "${common[@]}" --set 'model.freeze=["conv1","bn1","layer1"]' \
        --out "sweeps/resnet-last-$b"
    "$(bin "$b")" sweep "${common[@]}" --set 'optim.lr_scale={ "fc" = 1.0, "" = 0.1 }' \
        --out "sweeps/resnet-full-$b"
    "$(bin "$b")" sweep "${common[@]}" --out "sweeps/resnet-all-$b"
    "$(bin "$b")" sweep "${common[@]}" --set 'model.reinit=["conv1","bn1","layer1","layer2","fc"]' \
        --out "sweeps/resnet-scratch-$b"
done
