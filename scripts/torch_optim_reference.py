#!/usr/bin/env python3
"""scripts/torch_optim_reference.py — reference optimizer steps from the project's own PyTorch.

Runs real `torch.optim.SGD` / `torch.optim.Adam` on the inputs it is given and prints the
parameters and optimizer state after every step, so that `crates/torch/tests/optim.rs` compares
our optimizers with PyTorch itself rather than with pasted numbers.

Usage (with the project's virtual environment, where scripts/libtorch.sh installs torch):

    .venv/bin/python scripts/torch_optim_reference.py < request.json

The request (JSON on stdin):

    {"params": [0.5, -1.0, 2.0],                  # the initial parameter vector
     "grads": [[0.1, -0.2, 0.3], [...]],          # one gradient per step
     "cases": [{"optim": "sgd", "dtype": "float64", "lr": 0.1, "momentum": 0.9,
                "weight_decay": 0.01},
               {"optim": "adam", "dtype": "float32", "lr": 0.01, "betas": [0.9, 0.999],
                "eps": 1e-8, "weight_decay": 0.01, "impl": "single"}]}

`impl` (Adam and SGD): "single" (`foreach=False`, the single-tensor path, the default) or
"fused" (`fused=True`, libtorch's fused kernel). Everything runs on the CPU.

The answer (JSON on stdout): {"torch": torch.__version__, "results": [...]}, one result per
case, in order: {"params": P, "state": {name: P, ...}} after the last step, where every P is
{"values": [floats], "bits": [the IEEE-754 binary64 bit patterns of the same values, as
integers]}. float32 values are widened to float64 exactly. The bit patterns let the caller
compare bit for bit whatever its JSON parser does with decimal text. Exits 2 on a bad request.
"""

import json
import struct
import sys
import warnings

# torch warns on import when numpy is absent; this script does not need numpy.
warnings.filterwarnings("ignore", message="Failed to initialize NumPy")

import torch  # noqa: E402

DTYPES = {"float64": torch.float64, "float32": torch.float32}


def bits(x):
    """The binary64 bit pattern of a Python float, as an unsigned integer."""
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def described(t):
    values = [float(v) for v in t.detach().to(torch.float64).flatten().tolist()]
    return {"values": values, "bits": [bits(v) for v in values]}


def make_optimizer(case, param):
    impl = case.get("impl", "single")
    if impl not in ("single", "fused"):
        raise ValueError(f"impl must be 'single' or 'fused', got {impl!r}")
    flags = {"foreach": False} if impl == "single" else {"fused": True}
    if case["optim"] == "sgd":
        return torch.optim.SGD(
            [param],
            lr=case["lr"],
            momentum=case.get("momentum", 0.0),
            weight_decay=case.get("weight_decay", 0.0),
            **flags,
        )
    if case["optim"] == "adam":
        return torch.optim.Adam(
            [param],
            lr=case["lr"],
            betas=tuple(case.get("betas", (0.9, 0.999))),
            eps=case.get("eps", 1e-8),
            weight_decay=case.get("weight_decay", 0.0),
            **flags,
        )
    raise ValueError(f"optim must be 'sgd' or 'adam', got {case['optim']!r}")


def run(request, case):
    dtype = DTYPES[case["dtype"]]
    param = torch.nn.Parameter(torch.tensor(request["params"], dtype=torch.float64).to(dtype))
    opt = make_optimizer(case, param)
    for g in request["grads"]:
        opt.zero_grad()
        param.grad = torch.tensor(g, dtype=torch.float64).to(dtype)
        opt.step()
    state = {
        name: described(value)
        for name, value in opt.state[param].items()
        if torch.is_tensor(value) and value.dim() > 0
    }
    return {"params": described(param), "state": state}


def main():
    try:
        request = json.load(sys.stdin)
        results = [run(request, case) for case in request["cases"]]
    except (KeyError, ValueError, TypeError, json.JSONDecodeError) as e:
        print(f"torch_optim_reference.py: bad request: {e!r}", file=sys.stderr)
        return 2
    json.dump({"torch": torch.__version__, "results": results}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
