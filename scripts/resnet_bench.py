#!/usr/bin/env python3
"""scripts/resnet_bench.py — the PyTorch anchors of `compare bench --resnet`.

Two loops, written the way a PyTorch user writes them, on random inputs (nothing is read or
downloaded; torchvision's models are built with weights=None):

    .venv/bin/python scripts/resnet_bench.py forward [--size 224] [--batch 16] [--reps 3]
        [--threads 2]
    .venv/bin/python scripts/resnet_bench.py train [--blocks 2,2] [--widths 32,64]
        [--size 32] [--classes 10] [--batch 32] [--steps 30] [--reps 3] [--threads 2]

forward: torchvision's resnet18, model.eval(), `with torch.no_grad(): model(x)` on a batch of
3×size×size images, timed over `reps` rounds of 5 batches after one warm-up batch.
train: a ResNet of torchvision's BasicBlocks with the small stem (3×3 conv, stride 1, no
pool), the given stages, global average pooling and a Linear head; model.train(), SGD with
momentum 0.9, cross-entropy; `steps` steps per round after two warm-up steps.

stdout gets one line: `resnet_bench mode=M images_per_s=R` (the best round).
"""

import argparse
import sys
import time
import warnings

warnings.filterwarnings("ignore", message="Failed to initialize NumPy")

import torch  # noqa: E402
import torchvision  # noqa: E402
from torch import nn  # noqa: E402
from torchvision.models.resnet import BasicBlock, conv1x1  # noqa: E402


def small_resnet(blocks, widths, classes):
    """The small-stem ResNet of `model.stem = "small"` with torchvision's blocks."""
    layers = [nn.Conv2d(3, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU()]
    inplanes = widths[0]
    for s, (n, planes) in enumerate(zip(blocks, widths)):
        stride = 1 if s == 0 else 2
        for b in range(n):
            st = stride if b == 0 else 1
            down = None
            if st != 1 or inplanes != planes:
                down = nn.Sequential(conv1x1(inplanes, planes, st), nn.BatchNorm2d(planes))
            layers.append(BasicBlock(inplanes, planes, st, down))
            inplanes = planes
    layers += [nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(1), nn.Linear(inplanes, classes)]
    return nn.Sequential(*layers)


def forward(args):
    model = torchvision.models.resnet18(weights=None).eval()
    x = torch.randn(args.batch, 3, args.size, args.size)
    best = 0.0
    with torch.no_grad():
        model(x)
        for _ in range(args.reps):
            t = time.perf_counter()
            for _ in range(5):
                model(x)
            best = max(best, 5 * args.batch / (time.perf_counter() - t))
    return best


def train(args):
    blocks = [int(v) for v in args.blocks.split(",")]
    widths = [int(v) for v in args.widths.split(",")]
    model = small_resnet(blocks, widths, args.classes).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.randn(args.batch, 3, args.size, args.size)
    y = torch.randint(0, args.classes, (args.batch,))

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    step()
    step()
    best = 0.0
    for _ in range(args.reps):
        t = time.perf_counter()
        for _ in range(args.steps):
            step()
        best = max(best, args.steps * args.batch / (time.perf_counter() - t))
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=["forward", "train"])
    ap.add_argument("--size", type=int)
    ap.add_argument("--batch", type=int)
    ap.add_argument("--blocks", default="2,2")
    ap.add_argument("--widths", default="32,64")
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    if args.mode == "forward":
        args.size, args.batch = args.size or 224, args.batch or 16
        rate = forward(args)
    else:
        args.size, args.batch = args.size or 32, args.batch or 32
        rate = train(args)
    print(f"resnet_bench mode={args.mode} images_per_s={rate:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
