#!/usr/bin/env bash
# scripts/sweep_bench.sh — runs per second of `sweep --jobs 1` and `--jobs N` on one small
# sweep, measured in the same invocation, and their ratio (the goal on two cores: ≥ 1.8).
#
# Usage: scripts/sweep_bench.sh [BIN] [JOBS]   (default BIN target/release/scratch, JOBS 2)
# The sweep: configs/penguins.toml, 2 learning rates × 5 seeds = 10 runs (full length, early
# stopping on). Each measurement trains into a fresh temporary folder.
set -euo pipefail
bin=${1:-target/release/scratch}
jobs=${2:-2}
[[ -x $bin ]] || { echo "$0: $bin not built" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rate() {
  local start end
  start=$(date +%s.%N)
  "$bin" sweep --config configs/penguins.toml --grid optim.lr=0.01,0.003 --seeds 1..5 \
    --jobs "$1" --out "$tmp/jobs$1" 2>/dev/null
  end=$(date +%s.%N)
  echo "10 / ($end - $start)" | bc -l
}
r1=$(rate 1)
rn=$(rate "$jobs")
printf 'jobs=1: %.3f runs/s\njobs=%d: %.3f runs/s\nratio: %.2f\n' "$r1" "$jobs" "$rn" "$(echo "$rn / $r1" | bc -l)"
cmp -s "$tmp/jobs1/summary.md" "$tmp/jobs$jobs/summary.md" && echo "summary.md identical across --jobs"
