#!/usr/bin/env python3
"""Paired differences between a sweep's runs and scikit-learn's on the same rows (REPORT §1.1).

Usage: .venv/bin/python scripts/paired_vs_sklearn.py SWEEP_DIR [SKLEARN_DIR] [--metric test_acc] [--json]

Reads SWEEP_DIR/summary.csv (our runs) and SKLEARN_DIR/sklearn.csv (default: SWEEP_DIR's;
written by scripts/sklearn_baseline.py), joins them on (seed, fold), never on row order, and
for each scikit-learn model prints our metric minus its metric, paired by split: mean ± sample
std over the splits and wins / ties / losses (a tie: the same value, to 1e-12). A split present
on one side only, or twice on one side (a sweep with a grid: run this on one grid point's
folder), is an error.
"""

import csv
import json
import math
import sys
from pathlib import Path


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def keyed(rows, what, extra=lambda r: ()):
    out = {}
    for r in rows:
        key = (int(r["seed"]), r.get("fold", "") or "") + extra(r)
        if key in out:
            sys.exit(f"{what}: split {key[:2]} appears twice (a grid? use one point's runs)")
        out[key] = r
    return out


def paired(sweep, sklearn, metric):
    ours = keyed(read_rows(sweep / "summary.csv"), str(sweep / "summary.csv"))
    theirs = read_rows(sklearn / "sklearn.csv")
    models = sorted({r["model"] for r in theirs}, key=[r["model"] for r in theirs].index)
    result = {}
    for model in models:
        mine = keyed([r for r in theirs if r["model"] == model], f"sklearn.csv {model}")
        if set(mine) != set(ours):
            sys.exit(f"{model}: splits differ: ours {sorted(ours)}, scikit-learn's {sorted(mine)}")
        diffs = [float(ours[k][metric]) - float(mine[k][metric]) for k in sorted(ours)]
        if not all(math.isfinite(d) for d in diffs):
            bad = [k for k, d in zip(sorted(ours), diffs) if not math.isfinite(d)]
            sys.exit(f"{model}: {metric} is missing (NaN) for split(s) {bad}: no test split, or a one-class one?")
        n = len(diffs)
        mean = sum(diffs) / n
        sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1)) if n > 1 else 0.0
        wins = sum(d > 1e-12 for d in diffs)
        losses = sum(d < -1e-12 for d in diffs)
        result[model] = {"n": n, "mean": mean, "std": sd, "wins": wins,
                         "ties": n - wins - losses, "losses": losses, "diffs": diffs}
    return result


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    metric = "test_acc"
    if "--metric" in sys.argv:
        metric = sys.argv[sys.argv.index("--metric") + 1]
        args.remove(metric)
    if not args:
        sys.exit(__doc__)
    sweep = Path(args[0])
    sklearn = Path(args[1]) if len(args) > 1 else sweep
    result = paired(sweep, sklearn, metric)
    if "--json" in sys.argv:
        json.dump(result, sys.stdout)
        return
    print("| " + " | ".join(f"− {m}" for m in result) + " |")
    print("|" + "---|" * len(result))
    cells = [f"{r['mean']:+.4f} ± {r['std']:.4f} ({r['wins']}/{r['ties']}/{r['losses']})" for r in result.values()]
    print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
