#!/usr/bin/env python3
"""scikit-learn baselines on the recorded splits of a sweep folder.

Usage: .venv/bin/python scripts/sklearn_baseline.py DIR   (run from the repository root, as
the sweep was: the run folders' config.toml name their data file relative to it)

For every distinct split recorded in DIR/*/split.json (runs of different grid points with the
same seed and fold share one), trains LogisticRegression, MLPClassifier and
HistGradientBoostingClassifier on exactly the training rows, and measures them on the
validation and test rows. Preprocessing follows the run's schema.json (what `train` decided;
a kept column the data file lacks is an error):
numeric columns standardized with the training rows' mean and std (missing -> training mean),
categorical columns one-hot (missing -> most frequent training level, unseen -> all zeros).

Writes DIR/sklearn.csv (one row per split and model) and DIR/sklearn.md (mean ± std per model),
next to the sweep's summary.csv / summary.md.
"""

import codecs
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
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    f1_score,
    log_loss,
    roc_auc_score,
)
from sklearn.neural_network import MLPClassifier

NA_DEFAULT = ["NA", "N/A", "NaN", "NULL", "?", "-", "#N/A", "<NA>"]
METRICS = ["val_acc", "test_acc", "test_f1", "test_auc", "test_bal_acc", "test_ap", "test_loss"]


def models(seed):
    return {
        "LogisticRegression": LogisticRegression(max_iter=5000),
        "MLPClassifier": MLPClassifier(hidden_layer_sizes=(64, 32), max_iter=1000, random_state=seed),
        "HistGradientBoosting": HistGradientBoostingClassifier(random_state=seed),
    }


ENCODINGS = {"utf-8": "utf-8-sig", "utf8": "utf-8-sig", "windows-1252": "cp1252", "cp1252": "cp1252",
             "latin-1": "latin-1", "latin1": "latin-1", "iso-8859-1": "latin-1", "utf-16": "utf-16", "utf16": "utf-16"}


def read_table(path, target, data):
    """The rows of the CSV in the run's dialect: data.encoding (else UTF-8, or UTF-16 with its
    byte-order mark), data.delimiter (else the one of , ; tab | that gives every sampled row the
    header's field count, as the Rust loader decides)."""
    raw = open(path, "rb").read()
    enc = ENCODINGS.get(str(data.get("encoding", "utf-8")).lower(), "utf-8-sig")
    if "encoding" not in data and raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        enc = "utf-16"
    # WHATWG's windows-1252 (what the Rust side uses) maps the five bytes Python's cp1252
    # leaves undefined to the control characters of the same value.
    codecs.register_error("whatwg", lambda e: (chr(e.object[e.start]), e.start + 1))
    text = raw.decode(enc, errors="whatwg" if enc == "cp1252" else "strict")
    delim = {"tab": "\t", "\\t": "\t"}.get(data.get("delimiter"), data.get("delimiter"))
    if delim is None:
        delim = ","
        for d in ",;\t|":
            sample = [r for r in csv.reader(io.StringIO(text), delimiter=d) if any(c.strip() for c in r)][:100]
            if sample and len(sample[0]) >= 2 and all(len(r) == len(sample[0]) for r in sample):
                delim = d
                break
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=delim) if any(c.strip() for c in r)]
    # Cells trimmed as the Rust reader trims them (csv::Trim::All).
    header, body = [h.strip() for h in rows[0]], rows[1:]
    t = header.index(target)
    return header, body, t, delim


def numeric_column(cells, missing, data, delim):
    """A numeric column as floats (NaN where missing), its numbers read as the Rust loader reads
    them: plainly when every cell is a plain number, else with decimal commas (1.234,5) or
    thousands commas (1,234.5) when the delimiter is not a comma or data.decimal says so."""
    present = [c for c, m in zip(cells, missing) if not m]
    decimal_comma = lambda c: float(c.replace(".", "").replace(",", "."))
    thousands_comma = lambda c: float(c.replace(",", ""))
    readers = [float]
    if data.get("decimal") == ",":
        readers += [decimal_comma]
    elif delim != ",":
        readers += [thousands_comma] if data.get("decimal") == "." else [decimal_comma, thousands_comma]
    for read in readers:
        try:
            [read(c) for c in present]
        except ValueError:
            continue
        return np.array([math.nan if m else read(c) for c, m in zip(cells, missing)])
    sys.exit(f"a numeric column holds a cell none of the number formats reads: {present[:3]}")


def schema_kinds(run):
    """Column -> 'numeric' | 'categorical' for the columns the run kept, from schema.json (the
    schema `train` decided, for programs); None for generated or image data."""
    path = run / "schema.json"
    if not path.is_file():
        sys.exit(f"{run}: no schema.json (a run folder from before it was written): train again")
    schema = json.loads(path.read_text(encoding="utf-8"))
    if schema.get("note"):
        return None
    return {c["name"]: c["kind"] for c in schema["columns"] if c["kind"] in ("numeric", "categorical")}


def features(run, cfg, split):
    data = cfg["data"]
    source = data.get("source", "circle")
    if source not in ("csv", "digits"):
        sys.exit(f"{run}: data.source = {source!r}: only csv and digits data have rows on disk")
    path = data.get("path", "data/digits.csv")
    target = data.get("target", "label")
    header, body, t, delim = read_table(path, target, data)
    na = {v.strip().lower() for v in data.get("na_values", NA_DEFAULT)} | {""}
    kinds = schema_kinds(run) or {h: "numeric" for h in header if h != target}
    absent = [name for name in kinds if name not in header]
    if absent:
        sys.exit(f"{run}: the run kept column(s) {absent} that {path} does not have (columns: {header})")
    train = split["train"]
    cols = []
    for j, name in enumerate(header):
        if j == t or name not in kinds:
            continue
        cells = [r[j].strip() for r in body]
        missing = [c.lower() in na for c in cells]
        if kinds[name] == "numeric":
            x = numeric_column(cells, missing, data, delim)
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
    if len(cols) != len(kinds):
        sys.exit(f"{run}: {len(cols)} of the {len(kinds)} kept columns became features")
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
        "test_bal_acc": balanced_accuracy_score(y[te], pred),
        "test_ap": average_precision(y[te], p, model.classes_),
        "test_loss": log_loss(y[te], p, labels=model.classes_),
    }


def average_precision(y, p, classes):
    """Average precision of class 1 (two classes), or the mean over the classes present in y
    of each class against the rest: the definition of common::metrics::average_precision_of."""
    if p.shape[1] == 2:
        return average_precision_score(y == classes[1], p[:, 1]) if (y == classes[1]).any() else math.nan
    aps = [average_precision_score(y == c, p[:, k]) for k, c in enumerate(classes) if (y == c).any()]
    return sum(aps) / len(aps) if aps else math.nan


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
                         "fold": split["fold"] if split["folds"] else "",
                         "features": x.shape[1]} | m)
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
