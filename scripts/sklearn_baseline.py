#!/usr/bin/env python3
"""scikit-learn baselines on the recorded splits of a sweep folder.

Usage: .venv/bin/python scripts/sklearn_baseline.py DIR   (run from the repository root, as
the sweep was: the run folders' config.toml name their data file relative to it)

For every distinct split recorded in DIR/*/split.json (runs of different grid points with the
same seed and fold share one), trains LogisticRegression, MLPClassifier and
HistGradientBoostingClassifier on exactly the training rows, and measures them on the
validation and test rows. Preprocessing follows the run's schema.txt (what `train` decided):
numeric columns standardized with the training rows' mean and std (missing -> training mean),
categorical columns one-hot (missing -> most frequent training level, unseen -> all zeros).

Writes DIR/sklearn.csv (one row per split and model) and DIR/sklearn.md (mean ± std per model),
next to the sweep's summary.csv / summary.md.
"""

import csv
import hashlib
import json
import io
import math
import os
import sys
import tomllib
from pathlib import Path

# One thread per model, set before numpy and scikit-learn load their thread pools: these data
# sets are small, and OpenMP threads on a shared machine only contend (HistGradientBoosting
# ran 10x slower with them on two busy cores).
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score
from sklearn.neural_network import MLPClassifier

NA_DEFAULT = ["NA", "N/A", "NaN", "NULL", "?", "-", "#N/A", "<NA>"]
METRICS = ["val_acc", "test_acc", "test_f1", "test_auc", "test_loss"]


def models(seed):
    return {
        "LogisticRegression": LogisticRegression(max_iter=5000),
        "MLPClassifier": MLPClassifier(hidden_layer_sizes=(64, 32), max_iter=1000, random_state=seed),
        "HistGradientBoosting": HistGradientBoostingClassifier(random_state=seed),
    }


def read_table(path, target):
    with open(path, newline="") as f:
        rows = [r for r in csv.reader(f) if any(c.strip() for c in r)]
    header, body = rows[0], rows[1:]
    t = header.index(target)
    return header, body, t


def schema_kinds(run):
    """Column -> 'numeric' | 'categorical' from schema.txt (None for generated/image data)."""
    lines = (run / "schema.txt").read_text().splitlines()
    if len(lines) < 3 or not lines[1].startswith("column"):
        return None
    kinds = {}
    for line in lines[2:]:
        parts = line.split()
        if len(parts) >= 2 and parts[1] in ("numeric", "categorical"):
            kinds[parts[0]] = parts[1]
    return kinds


def features(run, cfg, split):
    data = cfg["data"]
    source = data.get("source", "circle")
    if source not in ("csv", "digits"):
        sys.exit(f"{run}: data.source = {source!r}: only csv and digits data have rows on disk")
    path = data.get("path", "data/digits.csv")
    target = data.get("target", "label")
    header, body, t = read_table(path, target)
    na = {v.strip().lower() for v in data.get("na_values", NA_DEFAULT)} | {""}
    kinds = schema_kinds(run) or {h: "numeric" for h in header if h != target}
    train = split["train"]
    cols = []
    for j, name in enumerate(header):
        if j == t or name not in kinds:
            continue
        cells = [r[j].strip() for r in body]
        missing = [c.lower() in na for c in cells]
        if kinds[name] == "numeric":
            x = np.array([math.nan if m else float(c) for c, m in zip(cells, missing)])
            mu = np.nanmean(x[train])
            sd = np.nanstd(x[train])
            x = np.where(np.isnan(x), mu, x)
            cols.append(((x - mu) / (sd if sd > 0 else 1.0))[:, None])
        else:
            seen = [cells[i] for i in train if not missing[i]]
            levels = sorted(set(seen))
            mode = max(levels, key=seen.count)
            filled = [mode if m else c for c, m in zip(cells, missing)]
            cols.append(np.array([[float(v == lv) for lv in levels] for v in filled]))
    y = np.array([r[t].strip() for r in body])
    return np.hstack(cols), y


def measure(model, x, y, split):
    tr, va, te = split["train"], split["val"], split["test"]
    model.fit(x[tr], y[tr])
    out = {"val_acc": accuracy_score(y[va], model.predict(x[va]))}
    if not te:
        return out | {k: math.nan for k in METRICS[1:]}
    p = model.predict_proba(x[te])
    pred = model.classes_[p.argmax(1)]
    try:
        auc = roc_auc_score(y[te], p[:, 1]) if p.shape[1] == 2 else roc_auc_score(
            y[te], p, multi_class="ovr", average="macro", labels=model.classes_)
    except ValueError:
        auc = math.nan
    return out | {
        "test_acc": accuracy_score(y[te], pred),
        "test_f1": f1_score(y[te], pred, average="macro"),
        "test_auc": auc,
        "test_loss": log_loss(y[te], p, labels=model.classes_),
    }


def write_atomic(path, text):
    """Temp file + rename, as the Rust side writes its files: never a half-written output."""
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def mean_std(v):
    v = [x for x in v if not math.isnan(x)]
    if not v:
        return "–"
    m = sum(v) / len(v)
    sd = math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1)) if len(v) > 1 else 0.0
    return f"{m:.4f} ± {sd:.4f}"


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sweep = Path(sys.argv[1])
    runs = sorted(p.parent for p in sweep.glob("*/split.json"))
    if not runs:
        sys.exit(f"{sweep}: no run folder with a split.json")
    rows, seen = [], set()
    for run in runs:
        text = (run / "split.json").read_text()
        digest = hashlib.sha256(text.encode()).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        split = json.loads(text)
        cfg = tomllib.loads((run / "config.toml").read_text())
        x, y = features(run, cfg, split)
        seed = int(cfg.get("seed", 0))
        for name, model in models(seed).items():
            m = measure(model, x, y, split)
            rows.append({"split_of": run.name, "model": name, "seed": seed,
                         "fold": split["fold"] if split["folds"] else ""} | m)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    write_atomic(sweep / "sklearn.csv", buf.getvalue())
    n = len(seen)
    md = [f"# scikit-learn on the sweep's {n} distinct split(s)\n",
          "Same rows as the sweep's runs (split.json); mean ± sample std over the splits.\n",
          "| model | splits | " + " | ".join(METRICS) + " |",
          "|---|---:|" + "---|" * len(METRICS)]
    for name in models(0):
        mine = [r for r in rows if r["model"] == name]
        cells = " | ".join(mean_std([r[k] for r in mine]) for k in METRICS)
        md.append(f"| {name} | {len(mine)} | {cells} |")
    write_atomic(sweep / "sklearn.md", "\n".join(md) + "\n")
    print((sweep / "sklearn.md").read_text(), end="")


if __name__ == "__main__":
    main()
