#!/usr/bin/env python3
"""scripts/torch_image_epoch.py — the PyTorch anchor of the image-epoch benchmark.

One augmented training epoch (or several) of a small CNN over an image folder, done PyTorch's
usual way: torchvision `ImageFolder` + `DataLoader` feeding `nn.Sequential`, Adam and
cross-entropy.

Usage (with the project's virtual environment; nothing is downloaded):

    .venv/bin/python scripts/torch_image_epoch.py ROOT [--size H W] [--channels C1 C2 ...]
        [--hidden N] [--batch-size B] [--epochs E] [--threads T] [--seed S]

Defaults: --size 32 32, --channels 16 32, --hidden 64, --batch-size 32, --epochs 1,
--threads 2, --seed 0.

Data: ImageFolder (default loader: PIL .convert("RGB"), so 3 input channels) with the training
transform RandomResizedCrop((H, W), scale=(0.08, 1.0), ratio=(3/4, 4/3)) + ToTensor() +
Normalize(mean, std), through DataLoader(batch_size=B, shuffle=True, num_workers=2). The
per-channel mean and std (population std over every pixel of every image) are computed once,
before timing, at the evaluation transform Resize(max(H, W)) + CenterCrop((H, W)) + ToTensor().

Model: for each c in --channels, Conv2d(prev, c, 3, padding=1) -> ReLU -> MaxPool2d(2); then
Flatten -> Linear(-> hidden) -> ReLU -> Linear(-> number of classes). Adam (lr 1e-3),
CrossEntropyLoss. torch.set_num_threads(T) in the main process.

The epochs are timed with time.perf_counter, data loading (worker start-up included) and
training together; stdout gets exactly one line, the per-epoch average:

    torch_image_epoch images=N seconds=S images_per_s=R

(N = images per epoch). The normalisation statistics and the last epoch's mean loss go to
stderr. Deterministic for a given seed (shuffle and augmentation both seeded).
"""

import argparse
import sys
import time
import warnings

warnings.filterwarnings("ignore", message="Failed to initialize NumPy")

import torch  # noqa: E402
from torch import nn  # noqa: E402
from torchvision import datasets, transforms  # noqa: E402

NUM_WORKERS = 2


def channel_stats(root, h, w):
    """Per-channel mean and population std at the evaluation transform."""
    ds = datasets.ImageFolder(root, transform=transforms.Compose([
        transforms.Resize(max(h, w)),
        transforms.CenterCrop((h, w)),
        transforms.ToTensor(),
    ]))
    total = torch.zeros(3, dtype=torch.float64)
    total_sq = torch.zeros(3, dtype=torch.float64)
    count = 0
    for i in range(len(ds)):
        x, _ = ds[i]
        x = x.to(torch.float64).flatten(1)
        total += x.sum(1)
        total_sq += (x * x).sum(1)
        count += x.shape[1]
    mean = total / count
    std = (total_sq / count - mean * mean).clamp_min(0).sqrt()
    return mean.tolist(), std.clamp_min(1e-12).tolist()


def build_model(in_channels, h, w, channels, hidden, n_classes):
    layers, prev = [], in_channels
    for c in channels:
        layers += [nn.Conv2d(prev, c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        prev, h, w = c, h // 2, w // 2
    if h == 0 or w == 0:
        raise ValueError("the image is too small for this many pooling layers")
    layers += [nn.Flatten(), nn.Linear(prev * h * w, hidden), nn.ReLU(),
               nn.Linear(hidden, n_classes)]
    return nn.Sequential(*layers)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("root", help="image folder: ROOT/<class>/.../<image>")
    ap.add_argument("--size", nargs=2, type=int, default=[32, 32], metavar=("H", "W"))
    ap.add_argument("--channels", nargs="+", type=int, default=[16, 32])
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    h, w = args.size
    if min(h, w, args.hidden, args.batch_size, args.epochs, args.threads, *args.channels) <= 0:
        ap.error("sizes, channels, --hidden, --batch-size, --epochs and --threads must be positive")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    mean, std = channel_stats(args.root, h, w)
    train_tf = transforms.Compose([
        transforms.RandomResizedCrop((h, w), scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3)),
        transforms.ToTensor(),
        transforms.Normalize(mean, std),
    ])
    ds = datasets.ImageFolder(args.root, transform=train_tf)
    loader = torch.utils.data.DataLoader(
        ds, batch_size=args.batch_size, shuffle=True, num_workers=NUM_WORKERS,
        generator=torch.Generator().manual_seed(args.seed))

    try:
        model = build_model(3, h, w, args.channels, args.hidden, len(ds.classes))
    except ValueError as e:
        ap.error(str(e))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    model.train()

    n, loss_sum = 0, 0.0
    start = time.perf_counter()
    for _ in range(args.epochs):
        n, loss_sum = 0, 0.0
        for x, y in loader:
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            n += x.shape[0]
            loss_sum += loss.item() * x.shape[0]
    seconds = (time.perf_counter() - start) / args.epochs

    print(f"mean={[round(m, 4) for m in mean]} std={[round(s, 4) for s in std]} "
          f"last_epoch_loss={loss_sum / n:.4f}", file=sys.stderr)
    print(f"torch_image_epoch images={n} seconds={seconds:.3f} images_per_s={n / seconds:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
