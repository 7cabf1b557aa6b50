"""The tables of docs/REPORT.md's transfer-learning sections, from the sweeps that
docs/report/transfer.sh (the CNN) and docs/report/resnet_transfer.sh (the ResNet) write: for
each way of starting and each number of training images per class, the mean ± sample std over
the seeds of the validation loss (the selection criterion) and of the test accuracy, per
backend.

Usage: .venv/bin/python docs/report/transfer_table.py [sweeps] [cnn|resnet]
"""

import csv
import statistics
import sys
from pathlib import Path

SETTINGS = [
    ("frozen", "convolutions frozen, new head"),
    ("finetune", "all layers fine-tuned, new head"),
    ("scratch", "from scratch (no pretrained weight)"),
]
SETTINGS_RESNET = [
    ("head", "head only (stem, layer1, layer2 frozen)"),
    ("last", "last stage and head (stem, layer1 frozen)"),
    ("full", "everything, backbone at 0.1× the head's LR"),
    ("all", "everything at one LR"),
    ("scratch", "from scratch (no pretrained weight)"),
]
STUDIES = {"cnn": ("transfer", SETTINGS), "resnet": ("resnet", SETTINGS_RESNET)}
BACKENDS = ["scratch", "torch"]


def cell(values):
    if len(values) < 2:
        return "n/a"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "sweeps")
    prefix, settings = STUDIES[sys.argv[2] if len(sys.argv) > 2 else "cnn"]
    head = "| start | images per class | " + " | ".join(
        f"{b}: val loss | {b}: test acc" for b in BACKENDS
    )
    print(head + " |")
    print("|---|---:|" + "---|---|" * len(BACKENDS))
    for key, label in settings:
        rows = {}
        for b in BACKENDS:
            path = root / f"{prefix}-{key}-{b}" / "summary.csv"
            if not path.exists():
                continue
            for r in csv.DictReader(path.open()):
                size = int(r["data.train_per_class"])
                rows.setdefault(size, {}).setdefault(b, []).append(r)
        for size in sorted(rows):
            cells = []
            for b in BACKENDS:
                runs = rows[size].get(b, [])
                cells.append(cell([float(r["val_loss"]) for r in runs]))
                cells.append(cell([float(r["test_acc"]) for r in runs]))
            n = max(len(v) for v in rows[size].values())
            print(f"| {label} | {size} ({n} seeds) | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
