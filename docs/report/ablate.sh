#!/usr/bin/env bash
# docs/report/ablate.sh — one row of an ablation table of docs/REPORT.md, from a `sweep`.
#
# Trains CONFIG (with optional `--set KEY=VALUE` overrides) once per seed as one
# `sweep` (runs in parallel, resumable: rerun after a crash and it finishes) and prints one
# Markdown row with the mean ± std, over the seeds, of the VALIDATION metrics at the best
# checkpoint's epoch, read from the sweep's summary.csv. Test numbers are in summary.csv and
# summary.md too, but this row never reads them: hyperparameters are chosen on validation only.
# Changing `seed` changes the split too, so the seeds are a repeated hold-out.
#
# Usage:  docs/report/ablate.sh [-b scratch|torch] [-s SEEDS] NAME CONFIG [KEY=VALUE ...]
#   -b   backend binary (default scratch; torch sources scripts/libtorch.sh first)
#   -s   seeds, as `sweep --seeds` takes them (default 1..10)
# The sweep lands in ${ABLATE_DIR:-checkpoints/ablation}/<config stem>/NAME/ (git-ignored);
# JOBS (default: the number of cores) runs at once.
# The whole table of one config can also be one sweep when the variants are values of one key:
#   target/release/scratch sweep --config configs/penguins.toml \
#     --grid 'model.hidden=[16],[32,16],[64,32]' --seeds 1..10 --out checkpoints/ablation/hidden
# Needs a release build: cargo build --release -p scratch (or -p torch).
set -euo pipefail

backend=scratch
seeds="1..10"
while getopts "b:s:" opt; do
  case $opt in
    b) backend=$OPTARG ;;
    s) seeds=$OPTARG ;;
    *) echo "usage: $0 [-b scratch|torch] [-s SEEDS] NAME CONFIG [KEY=VALUE ...]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[[ $# -ge 2 ]] || { echo "usage: $0 [-b scratch|torch] [-s SEEDS] NAME CONFIG [KEY=VALUE ...]" >&2; exit 2; }
name=$1 config=$2
shift 2
bin=${BIN:-target/release/$backend}
[[ -x $bin ]] || { echo "$0: $bin not built: cargo build --release -p $backend" >&2; exit 1; }
if [[ $backend == torch ]]; then
  # shellcheck disable=SC1091
  source scripts/libtorch.sh >/dev/null
fi
sets=()
for kv in "$@"; do sets+=(--set "$kv"); done
out=${ABLATE_DIR:-checkpoints/ablation}/$(basename "$config" .toml)/$name
jobs=()
[[ -n ${JOBS:-} ]] && jobs=(--jobs "$JOBS")

"$bin" sweep --config "$config" "${sets[@]}" --seeds "$seeds" "${jobs[@]}" --out "$out" 2>/dev/null \
  || { echo "$0: the sweep in $out failed (logs in $out/logs/)" >&2; exit 1; }

# summary.csv: run,seed,fold,best_epoch,epochs_run,val_loss,val_acc,val_f1,val_auc,test_...
overrides=$*
awk -F, -v name="$name" -v sets="${overrides:-—}" '
  NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
  { k++; be += $col["best_epoch"]; er += $col["epochs_run"]
    for (m = 0; m < 4; m++) { v = $col[M[m]]; s[m] += v; q[m] += v * v } }
  BEGIN { M[0] = "val_loss"; M[1] = "val_acc"; M[2] = "val_f1"; M[3] = "val_auc" }
  END { printf "| %s | `%s` | %d | %.0f / %.0f", name, sets, k, be / k, er / k
        for (m = 0; m < 4; m++) {
          mean = s[m] / k; var = k > 1 ? (q[m] - k * mean * mean) / (k - 1) : 0
          printf " | %.4f ± %.4f", mean, sqrt(var > 0 ? var : 0) }
        print " |" }' "$out/summary.csv"
