#!/usr/bin/env python3
"""scripts/state_dict.py — a PyTorch state_dict that `model.init_from` loads.

Builds the `nn.Sequential` of a twin-nets model spec (the JSON of common::spec::ModelSpec, as
in a checkpoint's `spec` metadata) with PyTorch's own initialisation, and saves its
`state_dict()` with `safetensors.torch.save_file`: a file written by PyTorch, not by us, for
the interop test of transfer learning (crates/compare/tests/interop.rs).

Usage (with the project's virtual environment; nothing is downloaded here):

    .venv/bin/python scripts/state_dict.py SPEC.json OUT.safetensors [--seed S] [--outputs N]

--outputs N: give the last Linear layer N outputs (another number of classes), so that the
loader must re-initialise the head. Exits 0, or 2 on bad input.
"""

import argparse
import json
import sys
import warnings

warnings.filterwarnings("ignore", message="Failed to initialize NumPy")

import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

sys.path.insert(0, __file__.rsplit("/", 1)[0] if "/" in __file__ else ".")
from interop import Model  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("spec")
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--outputs", type=int)
    args = ap.parse_args()
    try:
        with open(args.spec) as f:
            spec = json.load(f)
        if args.outputs is not None:
            last = [l for l in spec["layers"] if l["type"] == "linear"][-1]
            last["outputs"] = args.outputs
        torch.manual_seed(args.seed)
        model = Model(spec)
    except (OSError, ValueError, KeyError, IndexError) as e:
        print(f"state_dict.py: {args.spec}: {e}", file=sys.stderr)
        return 2
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(state, args.out)
    print(f"wrote {len(state)} tensors to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
