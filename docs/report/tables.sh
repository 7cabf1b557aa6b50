#!/usr/bin/env bash
# docs/report/tables.sh — regenerates the ablation tables of docs/REPORT.md
# (docs/report/ablation_<config>.md), one docs/report/ablate.sh row (one `sweep`) per line below.
# Every row is mean ± std over seeds 1..10 of validation metrics only (see ablate.sh).
# Usage: docs/report/tables.sh [penguins|breast_cancer|digits_mlp|digits_cnn ...]  (default: all)
# Takes about half an hour on two cores with the scratch backend (the CNN rows are most of it).
set -euo pipefail
cd "$(dirname "$0")/../.."
A=docs/report/ablate.sh

header() {
  echo "| run | overrides (\`--set\`) | seeds | best / last epoch | val loss | val acc | val macro F1 | val AUC |"
  echo "|---|---|---:|---|---|---|---|---|"
}

penguins() {
  local c=configs/penguins.toml
  header
  $A final $c
  $A no-dropout $c model.dropout=0
  $A no-weight-decay $c optim.weight_decay=0
  $A no-early-stopping $c train.early_stopping.enabled=false
  $A patience-50 $c train.early_stopping.patience=50
  $A no-input-scaling $c data.scaling=none
  $A no-regularization $c model.dropout=0 optim.weight_decay=0 train.early_stopping.enabled=false
  $A hidden-16 $c 'model.hidden=[16]'
  $A hidden-64-32 $c 'model.hidden=[64,32]'
  $A hidden-64-64-32 $c 'model.hidden=[64,64,32]'
  $A tanh $c model.activation=tanh
  $A sigmoid $c model.activation=sigmoid
  $A drop-year $c 'data.drop=["year"]'
  $A monitor-val-acc $c train.monitor=val_acc
}

breast_cancer() {
  local c=configs/breast_cancer.toml
  header
  $A final $c
  $A no-dropout $c model.dropout=0
  $A no-weight-decay $c optim.weight_decay=0
  $A no-early-stopping $c train.early_stopping.enabled=false
  $A no-input-scaling $c data.scaling=none
  $A no-regularization $c model.dropout=0 optim.weight_decay=0 train.early_stopping.enabled=false
  $A hidden-16 $c 'model.hidden=[16]'
  $A hidden-64-32 $c 'model.hidden=[64,32]'
  $A hidden-64-32-16 $c 'model.hidden=[64,32,16]'
  $A tanh $c model.activation=tanh
  $A monitor-val-acc $c train.monitor=val_acc
  $A monitor-val-f1 $c train.monitor=val_f1
  $A monitor-val-auc $c train.monitor=val_auc
}

digits_mlp() {
  local c=configs/digits_mlp.toml
  header
  $A final $c
  $A no-dropout $c model.dropout=0
  $A no-weight-decay $c optim.weight_decay=0
  $A no-early-stopping $c train.early_stopping.enabled=false
  $A patience-20 $c train.early_stopping.patience=20
  $A standard-scaling $c data.scaling=standard
  $A hidden-64 $c 'model.hidden=[64]'
  $A hidden-256-128 $c 'model.hidden=[256,128]'
  $A hidden-256-128-64 $c 'model.hidden=[256,128,64]'
  $A tanh $c model.activation=tanh
  $A augmentation $c data.augment.enabled=true
}

digits_cnn() {
  local c=configs/digits_cnn.toml
  header
  $A final $c
  $A no-augmentation $c data.augment.enabled=false
  $A shift-only $c data.augment.max_rotate_deg=0
  $A constant-lr $c train.schedule.name=constant
  $A no-dropout $c model.dropout=0
  $A no-weight-decay $c optim.weight_decay=0
  $A no-early-stopping $c train.early_stopping.enabled=false
  $A patience-40 $c train.early_stopping.patience=40
  $A standard-scaling $c data.scaling=standard
  $A small-16-32 $c 'model.channels=[16,32]' 'model.hidden=[64]'
  $A small-16-32-no-augmentation $c 'model.channels=[16,32]' 'model.hidden=[64]' data.augment.enabled=false
}

todo=("$@")
[[ ${#todo[@]} -gt 0 ]] || todo=(penguins breast_cancer digits_mlp digits_cnn)
for t in "${todo[@]}"; do
  echo "tables.sh: $t" >&2
  "$t" > "docs/report/ablation_$t.md.tmp"
  mv "docs/report/ablation_$t.md.tmp" "docs/report/ablation_$t.md"
done
