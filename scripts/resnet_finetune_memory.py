#!/usr/bin/env python3
"""scripts/resnet_finetune_memory.py — the PyTorch anchor of the ResNet fine-tuning memory line.

One epoch of fine-tuning torchvision's resnet18 on an image folder, written as PyTorch's
transfer-learning tutorial writes it: `ImageFolder` with Resize + CenterCrop + ToTensor +
Normalize(ImageNet), `DataLoader(batch_size=B, shuffle=True, num_workers=0)` (so that every
byte is this process's), every layer trained with SGD (momentum 0.9), a new `fc` for the
folder's classes, weights from a safetensors `state_dict` (scripts/export_torchvision.py).
Nothing is downloaded. Measure its peak memory with `/usr/bin/time -f %M`.

    .venv/bin/python scripts/resnet_finetune_memory.py ROOT WEIGHTS [--size 224] [--batch 32]
        [--train N] [--threads 2]

`--train N`: the first N images of the folder (ImageFolder order) form the epoch.
Prints `resnet_finetune images=N seconds=S`.
"""

import argparse
import sys
import time
import warnings

warnings.filterwarnings("ignore", message="Failed to initialize NumPy")

import torch  # noqa: E402
import torchvision  # noqa: E402
from safetensors.torch import load_file  # noqa: E402
from torch import nn  # noqa: E402
from torchvision import transforms  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("root")
    ap.add_argument("weights")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--train", type=int, default=500)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    tf = transforms.Compose([
        transforms.Resize(args.size),
        transforms.CenterCrop(args.size),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    data = torchvision.datasets.ImageFolder(args.root, transform=tf)
    subset = torch.utils.data.Subset(data, range(min(args.train, len(data))))
    loader = torch.utils.data.DataLoader(subset, batch_size=args.batch, shuffle=True, num_workers=0)
    model = torchvision.models.resnet18(weights=None)
    state = {k: v for k, v in load_file(args.weights).items() if not k.startswith("optim.")}
    model.load_state_dict(state)
    model.fc = nn.Linear(model.fc.in_features, len(data.classes))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    t = time.perf_counter()
    for x, y in loader:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    print(f"resnet_finetune images={len(subset)} seconds={time.perf_counter() - t:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
