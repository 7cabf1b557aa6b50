#!/usr/bin/env python3
"""scripts/torchvision_folder.py — read an image folder the way a torchvision user would.

The reference for comparison tests of our Rust image-folder loader: the images are read by
`torchvision.datasets.ImageFolder` and resized by `torchvision.transforms`, unchanged.

Usage (with the project's virtual environment; nothing is downloaded):

    .venv/bin/python scripts/torchvision_folder.py ROOT --size H W --out PREFIX \\
        [--policy shorter|stretch] [--channels 1|3]
    .venv/bin/python scripts/torchvision_folder.py ROOT --size H W --bench [--policy ...] [--channels ...]

Transform (interpolation BILINEAR, torchvision's default, antialiased on PIL images):
  * --policy shorter (default): `Resize(max(H, W))` (shorter side to max(H, W), the longer side
    to int(max(H, W) * long / short)), then `CenterCrop((H, W))`;
  * --policy stretch: `Resize((H, W))`;
then `PILToTensor()` (uint8, no scaling). --channels 3 (default) uses ImageFolder's default
loader (PIL `.convert("RGB")`); --channels 1 passes a loader that does `.convert("L")` instead.

With --out, writes PREFIX.json = {"classes": [...], "paths": [paths relative to ROOT, "/"
separated, in ImageFolder's order], "labels": [...], "shape": [N, C, H, W]} and PREFIX.bin =
the raw uint8 bytes of the stacked [N, C, H, W] array in C order.

With --bench, times (time.perf_counter) one full pass, ImageFolder's scan included, through
`DataLoader(ds, batch_size=64, num_workers=2, shuffle=False)` with torch.set_num_threads(1),
and prints one line: `torchvision_imagefolder images=N seconds=S images_per_s=R`.
Exits 0, or 2 on bad arguments.
"""

import argparse
import json
import os
import sys
import time
import warnings

warnings.filterwarnings("ignore", message="Failed to initialize NumPy")

import torch  # noqa: E402
from PIL import Image  # noqa: E402
from torchvision import datasets, transforms  # noqa: E402
from torchvision.transforms import InterpolationMode  # noqa: E402


def grey_loader(path):
    """ImageFolder's pil_loader, with .convert("L") in place of .convert("RGB")."""
    with open(path, "rb") as f:
        img = Image.open(f)
        return img.convert("L")


def build_transform(h, w, policy):
    if policy == "shorter":
        resize = [transforms.Resize(max(h, w), interpolation=InterpolationMode.BILINEAR),
                  transforms.CenterCrop((h, w))]
    else:
        resize = [transforms.Resize((h, w), interpolation=InterpolationMode.BILINEAR)]
    return transforms.Compose(resize + [transforms.PILToTensor()])


def make_dataset(root, h, w, policy, channels):
    kwargs = {"loader": grey_loader} if channels == 1 else {}
    return datasets.ImageFolder(root, transform=build_transform(h, w, policy), **kwargs)


def write(ds, root, prefix):
    tensors, labels = [], []
    for i in range(len(ds)):
        x, y = ds[i]
        tensors.append(x)
        labels.append(int(y))
    stacked = torch.stack(tensors).contiguous()
    assert stacked.dtype == torch.uint8
    paths = [os.path.relpath(p, root).replace(os.sep, "/") for p, _ in ds.samples]
    meta = {"classes": list(ds.classes), "paths": paths, "labels": labels,
            "shape": list(stacked.shape)}
    with open(prefix + ".json", "w", encoding="utf-8") as f:
        json.dump(meta, f)
        f.write("\n")
    with open(prefix + ".bin", "wb") as f:
        f.write(stacked.numpy().tobytes(order="C"))
    print(f"wrote {prefix}.json and {prefix}.bin: shape {list(stacked.shape)} uint8, "
          f"{len(ds.classes)} classes")


def bench(root, h, w, policy, channels):
    torch.set_num_threads(1)
    start = time.perf_counter()
    ds = make_dataset(root, h, w, policy, channels)
    loader = torch.utils.data.DataLoader(ds, batch_size=64, num_workers=2, shuffle=False)
    n = 0
    for x, _ in loader:
        n += x.shape[0]
    seconds = time.perf_counter() - start
    print(f"torchvision_imagefolder images={n} seconds={seconds:.3f} "
          f"images_per_s={n / seconds:.1f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("root", help="image folder: ROOT/<class>/.../<image>")
    ap.add_argument("--size", nargs=2, type=int, required=True, metavar=("H", "W"))
    ap.add_argument("--policy", choices=["shorter", "stretch"], default="shorter")
    ap.add_argument("--channels", type=int, choices=[1, 3], default=3)
    ap.add_argument("--out", metavar="PREFIX", help="write PREFIX.json and PREFIX.bin")
    ap.add_argument("--bench", action="store_true", help="time one DataLoader pass instead")
    args = ap.parse_args()
    h, w = args.size
    if h <= 0 or w <= 0:
        ap.error("--size H W must be positive")
    if args.bench == (args.out is not None):
        ap.error("give exactly one of --out PREFIX and --bench")
    if args.bench:
        bench(args.root, h, w, args.policy, args.channels)
    else:
        ds = make_dataset(args.root, h, w, args.policy, args.channels)
        write(ds, args.root, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
