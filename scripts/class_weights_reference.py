"""PyTorch's class-weighted losses, in float64, for the class-weight tests.

Reads one JSON object on stdin: {"head": "softmax" | "bce", "logits": [[...], ...], "labels":
[...], "weight": [...] | number | null, "pos_weight": number | null}. Writes {"loss": x,
"grad": [[...], ...]}: the mean loss of torch.nn.functional.cross_entropy(weight=...) or
binary_cross_entropy_with_logits(weight=..., pos_weight=...) and its gradient with respect to
the logits (autograd), every float in its shortest round-trip form (exact in JSON both ways).
Used by crates/compare/tests/class_weights.rs.
"""
import json
import sys

import torch
import torch.nn.functional as F


def main():
    case = json.load(sys.stdin)
    z = torch.tensor(case["logits"], dtype=torch.float64, requires_grad=True)
    labels = case["labels"]
    weight = case.get("weight")
    pos_weight = case.get("pos_weight")
    if case["head"] == "softmax":
        w = None if weight is None else torch.tensor(weight, dtype=torch.float64)
        loss = F.cross_entropy(z, torch.tensor(labels, dtype=torch.int64), weight=w)
    else:
        w = None if weight is None else torch.tensor([weight], dtype=torch.float64)
        pw = None if pos_weight is None else torch.tensor([pos_weight], dtype=torch.float64)
        target = torch.tensor(labels, dtype=torch.float64)
        loss = F.binary_cross_entropy_with_logits(
            z.reshape(-1), target, weight=w, pos_weight=pw
        )
    loss.backward()
    json.dump({"loss": loss.item(), "grad": z.grad.tolist()}, sys.stdout)


if __name__ == "__main__":
    main()
