"""The Python reference for `torch bench`: the chapter's Route 2 training loop in PyTorch
(`train_one_epoch` over a `DataLoader(TensorDataset(...), batch_size=128, shuffle=True)`,
`nn.Sequential` MLP, `CrossEntropyLoss`, `Adam(lr=1e-3)`), timed the same way as the Rust
benches: only the training epochs, in training samples per second.

Cases (as in `torch bench`): (a) the chapter's run, 4000 training rows x 30 epochs, 2->64->64->2;
(b) 160,000 training rows x 5 epochs, same net; (c) 784->512->512->2 on 16,000 rows x 2 epochs;
(d) 784->2048->2048->2, batch 1024, 160,000 rows x 2 epochs (CUDA only unless asked for).

Run with the project's PyTorch (installed by `scripts/libtorch.sh`):

    .venv/bin/python scripts/bench_python.py [--case a,b,c] [--reps 3] [--device cpu|cuda]
        [--threads N] [--json]

`--threads N` calls `torch.set_num_threads(N)` (default: PyTorch's own choice). `--json` prints,
instead of the human lines, one JSON object per case and nothing else on stdout, e.g.
`{"case": "a", "samples_per_s": 81234.5, "rows": 4000, "epochs": 30, "batch": 128,
"features": 2, "hidden": [64, 64], "threads": 2, "device": "cpu", "reps": 1, "torch": "2.11.0"}`
(`samples_per_s`: the fastest of the reps; `rows`: training rows).

Run it next to `torch bench --reps 3` on the same machine, so that the ratio compares like with
like; on a shared machine, interleave the two and keep the best of each.
"""

import argparse
import json
import time

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASES = {
    # letter: (features, hidden sizes, training rows, epochs, batch size)
    "a": (2, [64, 64], 4000, 30, 128),
    "b": (2, [64, 64], 160_000, 5, 128),
    "c": (784, [512, 512], 16_000, 2, 128),
    "d": (784, [2048, 2048], 160_000, 2, 1024),
}


def train_one_epoch(model, loader, criterion, optimizer, device):
    """The chapter's `train_one_epoch`, line for line."""
    model.train()
    total_loss = 0.0
    correct = 0
    total = 0
    for X, y in loader:
        X = X.to(device)
        y = y.to(device)
        optimizer.zero_grad()
        logits = model(X)
        loss = criterion(logits, y)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * X.size(0)
        preds = torch.argmax(logits, dim=1)
        correct += (preds == y).sum().item()
        total += X.size(0)
    return total_loss / total, correct / total


def mlp(features, hidden):
    layers, width = [], features
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    return nn.Sequential(*layers, nn.Linear(width, 2))


def run_case(letter, device, rows=None):
    features, hidden, case_rows, epochs, batch = CASES[letter]
    rows = rows or case_rows
    torch.manual_seed(42)
    # Circle data in the first two columns (label: inside radius 1), noise in the rest.
    X = torch.randn(rows, features)
    y = (X[:, 0] ** 2 + X[:, 1] ** 2 < 1.0).long()
    loader = DataLoader(TensorDataset(X, y), batch_size=batch, shuffle=True)
    model = mlp(features, hidden).to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    seconds = 0.0
    for _ in range(epochs):
        start = time.perf_counter()
        train_one_epoch(model, loader, criterion, optimizer, device)
        if device.type == "cuda":
            torch.cuda.synchronize()
        seconds += time.perf_counter() - start
    return rows * epochs / seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", default=None, help="letters, e.g. a,b,c (default: a,b,c, plus d on CUDA)")
    parser.add_argument("--reps", type=int, default=1, help="repetitions per case; the fastest is reported")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: PyTorch's)")
    parser.add_argument("--json", action="store_true", help="one JSON object per case, nothing else on stdout")
    parser.add_argument("--rows", type=int, default=None,
                        help="training rows of every case (default: the case's; compare bench --scale-down)")
    args = parser.parse_args()
    if args.rows is not None and args.rows < 1:
        parser.error(f"--rows must be at least 1, got {args.rows}")
    if args.threads is not None:
        if args.threads < 1:
            parser.error(f"--threads must be at least 1, got {args.threads}")
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    letters = args.case.split(",") if args.case else ["a", "b", "c"] + (["d"] if device.type == "cuda" else [])
    for letter in letters:
        if letter not in CASES:
            parser.error(f"--case '{letter}': no such case (the cases are a, b, c and d)")
    threads = torch.get_num_threads()
    if not args.json:
        print(f"PyTorch {torch.__version__} on {device}, {threads} threads (chapter loop, DataLoader)")
    for letter in letters:
        best = max(run_case(letter, device, args.rows) for _ in range(max(args.reps, 1)))
        features, hidden, rows, epochs, batch = CASES[letter]
        rows = args.rows or rows
        if args.json:
            print(json.dumps({"case": letter, "samples_per_s": best, "rows": rows, "epochs": epochs,
                              "batch": batch, "features": features, "hidden": hidden,
                              "threads": threads, "device": str(device), "reps": max(args.reps, 1),
                              "torch": torch.__version__}), flush=True)
        else:
            sizes = "->".join(str(s) for s in [features, *hidden, 2])
            print(f"({letter}) {sizes}, n_train={rows}, {epochs} epochs, batch {batch}: {best:10.0f} samples/s")


if __name__ == "__main__":
    main()
