#!/usr/bin/env python3
"""scripts/interop.py — a twin-nets checkpoint in plain PyTorch.

Loads one of our safetensors checkpoints with `safetensors.torch.load_file` into an ordinary
`nn.Sequential` rebuilt from the checkpoint's own metadata (the `spec` key), runs it on
already-preprocessed feature rows and compares its logits and predicted classes with ours.
It is the evidence that our checkpoints are PyTorch `state_dict`s: `net.{i}.weight` of shape
`[out, in]` (Linear) or `[out_ch, in_ch, k, k]` (Conv2d), where `i` counts every layer of the
`nn.Sequential`, activations and dropout included.

Usage (with the project's virtual environment, where scripts/libtorch.sh installs torch and
safetensors; nothing is downloaded here):

    .venv/bin/python scripts/interop.py CHECKPOINT FEATURES.csv [EXPECTED_LOGITS.csv] [--tol T]

FEATURES.csv: one preprocessed example per line, comma-separated, no header (what our
backends feed the network: preprocessing is not part of the nn.Sequential).
EXPECTED_LOGITS.csv: our logits for the same rows. Without it the script prints its logits.
Exits 0 when every predicted class is the same and max|Δlogit| <= T * max(1, max|logit|)
(T = 1e-4 by default: f32 sums in a different order differ by ~1e-6), 1 otherwise, 2 on bad
input.
"""

import argparse
import csv
import json
import sys
import warnings

# torch warns on import when numpy is absent; this script does not need numpy.
warnings.filterwarnings("ignore", message="Failed to initialize NumPy")

import torch  # noqa: E402
from safetensors import safe_open  # noqa: E402
from safetensors.torch import load_file  # noqa: E402
from torch import nn  # noqa: E402

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


def build(spec):
    """The nn.Sequential of a twin-nets model spec (the JSON of common::spec::ModelSpec),
    without its embedding tables (the `embed` module, which `Model` holds as `emb`)."""
    layers = []
    for layer in spec["layers"]:
        if layer["type"] == "embed":
            continue
        kind = layer["type"]
        if kind == "linear":
            layers.append(nn.Linear(layer["inputs"], layer["outputs"]))
        elif kind == "act":
            layers.append(ACTIVATIONS[layer["act"]]())
        elif kind == "dropout":
            layers.append(nn.Dropout(layer["p"]))
        elif kind == "conv2d":
            layers.append(
                nn.Conv2d(layer["in_ch"], layer["out_ch"], layer["kernel"], padding=layer["padding"])
            )
        elif kind == "max_pool2d":
            layers.append(nn.MaxPool2d(layer["k"]))
        elif kind == "flatten":
            layers.append(nn.Flatten(1))
        else:
            raise ValueError(f"unknown layer type {kind!r} in the checkpoint's spec")
    return nn.Sequential(*layers)


class Model(nn.Module):
    """`net` is the Sequential, so that its state_dict names are `net.0.weight`, ...; with
    embedding tables (`model.embeddings`), `emb` holds one `nn.Embedding` per embedded column
    (`emb.<key>.weight`, row 0 the reserved row of unseen levels), and the last features of
    an example are the rows to read."""

    def __init__(self, spec):
        super().__init__()
        self.input_shape = spec["input_shape"]
        first = spec["layers"][0]
        self.dense = None
        if first["type"] == "embed":
            self.dense = first["dense"]
            self.emb = nn.ModuleDict(
                {t["key"]: nn.Embedding(t["rows"], t["dim"], padding_idx=0) for t in first["tables"]}
            )
        self.net = build(spec)

    def forward(self, x):
        if self.dense is not None:
            rows = x[:, self.dense:].long()
            parts = [x[:, : self.dense]]
            parts += [table(rows[:, t]) for t, table in enumerate(self.emb.values())]
            x = torch.cat(parts, 1)
        if len(self.input_shape) > 1:  # images arrive flattened, as in our backends
            x = x.view(-1, *self.input_shape)
        return self.net(x)


def read_rows(path):
    with open(path, newline="") as f:
        return [[float(v) for v in row] for row in csv.reader(f) if row]


def predicted(logits):
    if logits.shape[1] == 1:  # BCE head: class 1 when the logit is > 0
        return (logits[:, 0] > 0).long()
    return logits.argmax(dim=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkpoint")
    ap.add_argument("features")
    ap.add_argument("expected", nargs="?")
    ap.add_argument("--tol", type=float, default=1e-4)
    args = ap.parse_args()
    try:
        with safe_open(args.checkpoint, framework="pt") as f:
            meta = f.metadata() or {}
    except Exception as e:  # missing, truncated or not safetensors at all
        print(f"{args.checkpoint}: cannot read as safetensors: {e}", file=sys.stderr)
        return 2
    if meta.get("format") != "twin-nets" or "spec" not in meta:
        print(f"{args.checkpoint}: not a twin-nets checkpoint (no 'spec' metadata)", file=sys.stderr)
        return 2
    tensors = load_file(args.checkpoint)
    state = {k: v for k, v in tensors.items() if k.startswith(("net.", "emb."))}
    model = Model(json.loads(meta["spec"]))
    dtype = next(iter(state.values())).dtype
    model = model.to(dtype)
    model.load_state_dict(state, strict=True)  # every name and shape must match
    model.eval()
    x = torch.tensor(read_rows(args.features), dtype=dtype)
    with torch.no_grad():
        logits = model(x)
    if args.expected is None:
        csv.writer(sys.stdout).writerows(logits.tolist())
        return 0
    ours = torch.tensor(read_rows(args.expected), dtype=torch.float64)
    if ours.shape != logits.shape:
        print(f"shape mismatch: PyTorch {tuple(logits.shape)}, ours {tuple(ours.shape)}", file=sys.stderr)
        return 1
    diff = (logits.double() - ours).abs().max().item()
    bound = args.tol * max(1.0, ours.abs().max().item())
    same = (predicted(logits) == predicted(ours)).sum().item()
    n = logits.shape[0]
    print(f"nn.Sequential from {args.checkpoint} ({meta.get('backend', '?')}, {dtype}): "
          f"{same}/{n} predictions identical, max |Δlogit| {diff:.3e} (bound {bound:.1e})")
    return 0 if same == n and diff <= bound else 1


if __name__ == "__main__":
    sys.exit(main())
