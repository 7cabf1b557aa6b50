#!/usr/bin/env python3
"""scripts/export_torchvision.py — a torchvision ResNet's state_dict as safetensors.

Writes the `state_dict()` of a torchvision classification ResNet with
`safetensors.torch.save_file`, under torchvision's own names (conv1.weight, bn1.running_mean,
layer2.0.downsample.0.weight, fc.bias, ...), for `model.init_from` in our ResNet routes.

Usage (with the project's virtual environment):

    .venv/bin/python scripts/export_torchvision.py OUT.safetensors [--arch resnet18|resnet34]
        [--weights none|IMAGENET1K_V1|DEFAULT] [--num-classes N] [--seed S]

--arch: resnet18 (the default) or resnet34; our routes implement BasicBlock ResNets only, so
the Bottleneck ones (resnet50 and up) are refused.
--weights: `none` (the default) builds the model with `weights=None`, initialised by
torchvision after `torch.manual_seed(S)` (S = --seed, 0 by default): nothing is downloaded.
Any other name is looked up with `torchvision.models.get_model_weights(arch)[name]` and
downloaded into the torch hub cache (~/.cache/torch/hub/checkpoints) on first use, which
needs internet access.
--num-classes N: replace `fc` by a fresh `nn.Linear(512, N)` (seeded). Rarely needed: our
loader re-initialises a head whose shape does not match.

Every tensor is saved contiguous as it is in the state_dict (float32; num_batches_tracked
int64), with string metadata: source=torchvision, arch, weights (the weights' name, DEFAULT
resolved to the one it stands for, or "none") and normalize = JSON {"mean": [...], "std":
[...]} from the weights' transforms(), or ImageNet's statistics (what torchvision's ResNets
are trained with) when no weights are given. The file is written to a temporary name beside
OUT, then renamed. Exits 0, or 2 on bad input.
"""

import argparse
import json
import os
import sys
import warnings

# torch warns on import when numpy is absent; this script does not need numpy.
warnings.filterwarnings("ignore", message="Failed to initialize NumPy")

import torch  # noqa: E402
import torchvision  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from torch import nn  # noqa: E402

BASIC_BLOCK_ARCHS = ("resnet18", "resnet34")
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def save_atomic(tensors, path, metadata):
    """save_file to a temporary file beside path, then os.replace onto path (OSError on failure)."""
    tensors = {k: v.detach().contiguous() for k, v in tensors.items()}
    folder, name = os.path.split(os.path.abspath(path))
    tmp = os.path.join(folder, f".{name}.tmp{os.getpid()}")
    try:
        try:
            save_file(tensors, tmp, metadata=metadata)
        except Exception as e:  # safetensors reports I/O errors with its own exception type
            raise OSError(str(e)) from None
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--arch", default="resnet18")
    ap.add_argument("--weights", default="none")
    ap.add_argument("--num-classes", type=int)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    if args.arch not in BASIC_BLOCK_ARCHS:
        print(f"export_torchvision.py: --arch {args.arch!r}: our ResNet routes implement "
              f"BasicBlock only ({', '.join(BASIC_BLOCK_ARCHS)})", file=sys.stderr)
        return 2
    if args.num_classes is not None and args.num_classes < 1:
        print(f"export_torchvision.py: --num-classes must be at least 1, got {args.num_classes}",
              file=sys.stderr)
        return 2
    folder = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(folder):
        print(f"export_torchvision.py: {args.out}: no such directory {folder}", file=sys.stderr)
        return 2

    torch.manual_seed(args.seed)
    builder = getattr(torchvision.models, args.arch)
    if args.weights.lower() == "none":
        name = "none"
        weights = None
        mean, std = IMAGENET_MEAN, IMAGENET_STD
    else:
        name = args.weights
        try:
            weights = torchvision.models.get_model_weights(args.arch)[name]
        except KeyError:
            known = ", ".join(w.name for w in torchvision.models.get_model_weights(args.arch))
            print(f"export_torchvision.py: --weights {name!r}: {args.arch} has {known}, DEFAULT "
                  f"or none", file=sys.stderr)
            return 2
        name = weights.name  # DEFAULT resolves to the name of the weights it stands for
        preprocess = weights.transforms()
        mean, std = [float(v) for v in preprocess.mean], [float(v) for v in preprocess.std]
    try:
        model = builder(weights=weights)
    except Exception as e:  # no network, a corrupt cached download, ...
        print(f"export_torchvision.py: cannot load {args.arch} weights {name}: {e}",
              file=sys.stderr)
        return 2
    if args.num_classes is not None:
        model.fc = nn.Linear(model.fc.in_features, args.num_classes)

    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    metadata = {
        "source": "torchvision",
        "arch": args.arch,
        "weights": name,
        "normalize": json.dumps({"mean": mean, "std": std}),
    }
    try:
        save_atomic(state, args.out, metadata)
    except OSError as e:
        print(f"export_torchvision.py: {args.out}: {e}", file=sys.stderr)
        return 2
    print(f"wrote {len(state)} tensors ({args.arch}, {name}) to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
