#!/usr/bin/env python3
"""scripts/digits_folder.py — write data/digits.csv as an image folder (one subfolder per class).

Usage (from the repository root, with the project's virtual environment; nothing is downloaded):

    .venv/bin/python scripts/digits_folder.py [--csv data/digits.csv] [--out data/digits_folder] [--force]

Reads the digits CSV (64 columns `pixel_R_C`, integers 0-16, row-major 8x8, and a `label`
column 0-9) and writes one image per data row to OUT/<label>/<index:04d>.<ext>, where index is
the 0-based data row (header excluded). Each image:

  * pixel value v -> round(v * 255 / 16) as uint8 (exact integer arithmetic, half up:
    (255 * v + 8) // 16), an 8x8 greyscale image;
  * upscaled to 32x32 with PIL `Image.resize((32, 32), Image.BILINEAR)`;
  * if index % 5 == 1: converted to RGB with a tint, R = g, G = round(0.8 * g),
    B = round(0.55 * g) (again exact integer arithmetic, half up: (4g + 2) // 5 and
    (55g + 50) // 100); otherwise kept as mode "L";
  * if index % 7 == 3: saved as JPEG (quality 95, PIL's other defaults, extension .jpg);
    otherwise as PNG (.png).

So the folder mixes grey PNG, RGB PNG, grey JPEG and RGB JPEG, for testing image loaders. The
output is deterministic for a given Pillow (and its libjpeg / zlib) build.

OUT must not exist or must be empty; with --force an existing OUT is deleted and rewritten.
Prints how many files of each kind were written. Exits 0, or 1 on refusal / bad input.
"""

import argparse
import csv
import shutil
import sys
from collections import Counter
from pathlib import Path

from PIL import Image

SIDE = 8
UPSCALED = (32, 32)


def grey_lut():
    """0..16 -> round(v * 255 / 16), half up (only v = 8 is a tie: 127.5 -> 128)."""
    return [(255 * v + 8) // 16 for v in range(17)]


def tint(g):
    """Grey image -> RGB image with R = g, G = round(0.8 g), B = round(0.55 g), half up."""
    r = g
    gg = g.point([(4 * x + 2) // 5 for x in range(256)])
    b = g.point([(55 * x + 50) // 100 for x in range(256)])
    return Image.merge("RGB", (r, gg, b))


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        pixel_cols = []
        for r in range(SIDE):
            for c in range(SIDE):
                name = f"pixel_{r}_{c}"
                if name not in header:
                    raise ValueError(f"{path}: missing column {name}")
                pixel_cols.append(header.index(name))
        if "label" not in header:
            raise ValueError(f"{path}: missing column label")
        label_col = header.index("label")
        for line_no, row in enumerate(reader, start=2):
            if not row:
                continue
            try:
                pixels = [int(row[i]) for i in pixel_cols]
                label = int(row[label_col])
            except (ValueError, IndexError) as e:
                raise ValueError(f"{path}:{line_no}: {e}") from None
            if any(v < 0 or v > 16 for v in pixels):
                raise ValueError(f"{path}:{line_no}: pixel value outside 0..16")
            if not 0 <= label <= 9:
                raise ValueError(f"{path}:{line_no}: label {label} outside 0..9")
            yield pixels, label


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--csv", default="data/digits.csv", help="input CSV (default data/digits.csv)")
    ap.add_argument("--out", default="data/digits_folder",
                    help="output folder (default data/digits_folder)")
    ap.add_argument("--force", action="store_true",
                    help="delete OUT first if it exists and is not empty")
    args = ap.parse_args()

    out = Path(args.out)
    if out.exists() or out.is_symlink():
        if not out.is_dir():
            print(f"error: {out} exists and is not a folder", file=sys.stderr)
            return 1
        if any(out.iterdir()):
            if not args.force:
                print(f"error: {out} exists and is not empty (use --force to delete and rewrite it)",
                      file=sys.stderr)
                return 1
            shutil.rmtree(out)

    try:
        rows = list(read_rows(args.csv))
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1

    lut = grey_lut()
    counts = Counter()
    for index, (pixels, label) in enumerate(rows):
        small = Image.new("L", (SIDE, SIDE))
        small.putdata([lut[v] for v in pixels])
        img = small.resize(UPSCALED, Image.BILINEAR)
        colour = "rgb" if index % 5 == 1 else "grey"
        if colour == "rgb":
            img = tint(img)
        fmt = "jpeg" if index % 7 == 3 else "png"
        folder = out / str(label)
        folder.mkdir(parents=True, exist_ok=True)
        if fmt == "jpeg":
            img.save(folder / f"{index:04d}.jpg", format="JPEG", quality=95)
        else:
            img.save(folder / f"{index:04d}.png", format="PNG")
        counts[(colour, fmt)] += 1

    total = sum(counts.values())
    print(f"wrote {total} images to {out}/<label>/ from {args.csv}")
    for colour in ("grey", "rgb"):
        for fmt in ("png", "jpeg"):
            print(f"  {colour} {fmt}: {counts[(colour, fmt)]}")
    by_label = Counter(label for _, label in rows)
    print("  per class: " + " ".join(f"{k}={by_label[k]}" for k in sorted(by_label)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
