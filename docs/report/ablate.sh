#!/usr/bin/env bash
# docs/report/ablate.sh — one row of an ablation table of docs/REPORT.md.
#
# Trains CONFIG (with optional `--set KEY=VALUE` overrides) once per seed and prints one Markdown
# row with the mean, over the seeds, of the VALIDATION metrics at the best checkpoint's epoch
# (the epoch `best.safetensors` was saved at), and of the last epoch. The test split is never
# read here: `train --quiet` writes its test metrics to test_metrics.json, which this script
# ignores. Changing `seed` changes the split too, so the seeds are a repeated hold-out: the
# validation sets are small (70 to 362 rows), and one seed alone cannot tell 0.5 % apart.
#
# Usage:  docs/report/ablate.sh [-b scratch|torch] [-s "SEEDS"] NAME CONFIG [KEY=VALUE ...]
#   -b   backend binary (default scratch; torch sources scripts/libtorch.sh first)
#   -s   seeds (default "1 2 3 4 5 7"; 7 is the seed of the shipped configs)
# Runs land in ${ABLATE_DIR:-checkpoints/ablation}/<config stem>/NAME-s<seed>/ (git-ignored).
# Needs a release build: cargo build --release -p scratch (or -p torch).
set -euo pipefail

backend=scratch
seeds="1 2 3 4 5 7"
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
bin=target/release/$backend
[[ -x $bin ]] || { echo "$0: $bin not built: cargo build --release -p $backend" >&2; exit 1; }
if [[ $backend == torch ]]; then
  # shellcheck disable=SC1091
  source scripts/libtorch.sh >/dev/null
fi
sets=()
for kv in "$@"; do sets+=(--set "$kv"); done

# The epoch stored in a checkpoint's metadata: the safetensors header is an 8-byte little-endian
# length and then JSON, whose train_state entry is itself JSON text ({\"epoch\":N,...}).
best_epoch() {
  local len
  len=$(od -An -t u8 -N8 "$1" | tr -d ' ')
  head -c $((8 + len)) "$1" | tail -c "$len" | grep -o '\\"epoch\\":[0-9]*' | head -1 | grep -o '[0-9]*$'
}

rows=""
for seed in $seeds; do
  out=${ABLATE_DIR:-checkpoints/ablation}/$(basename "$config" .toml)/$name-s$seed
  mkdir -p "$(dirname "$out")"
  if ! "$bin" train --quiet --config "$config" --set "seed=$seed" "${sets[@]}" --out "$out" \
      >/dev/null 2>"$out.log"; then
    echo "$0: run $out failed:" >&2; cat "$out.log" >&2; exit 1
  fi
  ep=$(best_epoch "$out/best.safetensors")
  # history.csv: epoch,train_loss,train_acc,val_loss,val_acc,val_f1,val_auc,lr,seconds
  rows+=$(awk -F, -v ep="$ep" 'NR > 1 { last = $0; n = NR - 1 } NR == ep + 1 { best = $0 }
    END { split(best, b, ","); split(last, l, ",");
          printf "%d %d %s %s %s %s %s %s\n", ep, n, b[4], b[5], b[6], b[7], l[4], l[5] }' \
    "$out/history.csv")$'\n'
done

overrides=$*
printf '%s' "$rows" | awk -v name="$name" -v sets="${overrides:-—}" '
  NF { k++; for (i = 1; i <= 8; i++) s[i] += $i }
  END { printf "| %s | `%s` | %.0f / %.0f | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f |\n",
        name, sets, s[1]/k, s[2]/k, s[3]/k, s[4]/k, s[5]/k, s[6]/k, s[7]/k, s[8]/k }'
