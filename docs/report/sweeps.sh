#!/usr/bin/env bash
# docs/report/sweeps.sh — the "over ten splits" table of docs/REPORT.md §1: each final config
# swept over seeds 1..10 (ten stratified 60/20/20 splits) on both backends, scikit-learn's
# three models on exactly the same rows (scripts/sklearn_baseline.py), one Markdown row per
# backend or model: mean ± std over the splits of the TEST metrics of each run's best
# checkpoint (nothing here is selected on them: the configs were fixed before).
#
# Usage: docs/report/sweeps.sh [penguins|breast_cancer|digits_mlp|digits_cnn ...] (default: all)
# BIN_DIR (default target/release) holds the scratch and torch binaries; sweeps land in
# checkpoints/sweeps/<config>-<backend>/ (rerun to resume); JOBS runs at once (default: cores).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${BIN_DIR:-target/release}
# shellcheck disable=SC1091
source scripts/libtorch.sh >/dev/null
python=${TWIN_NETS_VENV:-.venv}/bin/python
jobs=()
[[ -n ${JOBS:-} ]] && jobs=(--jobs "$JOBS")

# mean ± std of the named columns of a CSV (rows filtered by an optional column=value).
stats() { # file filter_col filter_val col...
  local file=$1 fcol=$2 fval=$3
  shift 3
  awk -F, -v fcol="$fcol" -v fval="$fval" -v cols="$*" '
    NR == 1 { for (i = 1; i <= NF; i++) at[$i] = i; n = split(cols, c, " "); next }
    fcol == "" || $at[fcol] == fval {
      k++; for (j = 1; j <= n; j++) { v = $at[c[j]]; if (v != "NaN" && v != "nan" && v != "") { s[j] += v; q[j] += v * v; m[j]++ } } }
    END { printf "%d", k
          for (j = 1; j <= n; j++) {
            if (!m[j]) { printf " | –"; continue }
            mean = s[j] / m[j]; var = m[j] > 1 ? (q[j] - m[j] * mean * mean) / (m[j] - 1) : 0
            printf " | %.4f ± %.4f", mean, sqrt(var > 0 ? var : 0) } }' "$file"
}

echo "| config | model | splits | test acc | test macro F1 | test ROC AUC | test log loss |"
echo "|---|---|---:|---|---|---|---|"
configs=("$@")
[[ $# -gt 0 ]] || configs=(penguins breast_cancer digits_mlp digits_cnn)
for c in "${configs[@]}"; do
  for b in scratch torch; do
    "$bin/$b" sweep --config "configs/$c.toml" --seeds 1..10 "${jobs[@]}" \
      --out "checkpoints/sweeps/$c-$b" 2>/dev/null
    echo "| $c | $b | $(stats "checkpoints/sweeps/$c-$b/summary.csv" "" "" test_acc test_f1 test_auc test_loss) |"
  done
  # The splits of a finished sweep never change: a second pass reuses sklearn.csv (delete it
  # to rerun scikit-learn).
  [[ -f checkpoints/sweeps/$c-scratch/sklearn.csv ]] ||
    "$python" scripts/sklearn_baseline.py "checkpoints/sweeps/$c-scratch" >/dev/null
  for m in LogisticRegression MLPClassifier HistGradientBoosting; do
    echo "| $c | scikit-learn $m | $(stats "checkpoints/sweeps/$c-scratch/sklearn.csv" model "$m" test_acc test_f1 test_auc test_loss) |"
  done
done
