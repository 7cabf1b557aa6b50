#!/usr/bin/env bash
# Peak memory of one epoch of fine-tuning torchvision's resnet18 (every layer trained, SGD,
# batch 32) on 500 training images at 224×224, for both routes and for PyTorch's tutorial
# loop (scripts/resnet_finetune_memory.py: ImageFolder + DataLoader(num_workers=0)), each a
# whole process under /usr/bin/time (peak RSS). The images: 125 files of each of the digit
# classes 0-4 of data/digits_folder, resized to 224×224 by each loader (our runs split them
# 0.8 / 0.1 / 0.1 and also evaluate the 125 others; PyTorch's loop trains on the first 500).
# The weights: scripts/export_torchvision.py (weights=None, nothing downloaded).
# Usage: docs/report/resnet_memory.sh (from anywhere; release binaries built).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for c in 0 1 2 3 4; do
    mkdir -p "$work/images/$c"
    find "data/digits_folder/$c" -type f | sort | sed -n '1,125p' | xargs -I{} cp {} "$work/images/$c/"
done
.venv/bin/python scripts/export_torchvision.py "$work/resnet18.safetensors" >/dev/null
common=(--config configs/digits_resnet.toml --set "data.path=\"$work/images\"" --set 'data.image.size=[224, 224]'
    --set 'data.split={ train = 0.8, val = 0.1, test = 0.1 }' --set data.augment.enabled=false
    --set 'model.blocks=[2, 2, 2, 2]' --set 'model.widths=[64, 128, 256, 512]' --set 'model.stem="imagenet"'
    --set "model.init_from=\"$work/resnet18.safetensors\"" --set 'data.image.normalize="weights"'
    --set train.epochs=1 --set train.early_stopping.enabled=false --set optim.lr=0.01 -q)
for b in scratch torch; do
    /usr/bin/time -f "$b train: %e s, peak %M KiB" "target/release/$b" train "${common[@]}" \
        --out "$work/$b" 2>&1 | grep -F "peak"
done
/usr/bin/time -f "PyTorch loop: %e s, peak %M KiB" .venv/bin/python scripts/resnet_finetune_memory.py \
    "$work/images" "$work/resnet18.safetensors" --train 500 2>&1 | grep -F "peak"
