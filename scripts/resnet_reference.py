#!/usr/bin/env python3
"""scripts/resnet_reference.py — the PyTorch side of our ResNet parity tests.

Builds a ResNet from torchvision's own `torchvision.models.resnet.BasicBlock` under
torchvision's state_dict names, loads the given weights and runs a forward pass (and
optionally one SGD step) on the given inputs, on the CPU. Nothing is downloaded. Usage:

    .venv/bin/python scripts/resnet_reference.py ARCH --in-ch C --classes K
        --weights W.safetensors --input X.safetensors --out OUT.safetensors [--dtype f64|f32]
        [--train-step --lr LR [--freeze PREFIX ...] [--lr-scale PREFIX=S ...]]
    .venv/bin/python scripts/resnet_reference.py ARCH --in-ch C --classes K --load-strict CKPT
    .venv/bin/python scripts/resnet_reference.py ARCH --in-ch C --classes K --init-out W [--seed S]

ARCH: `--arch resnet18|resnet34` (torchvision's, conv1 replaced by Conv2d(C, 64, 7, 2, 3)
when C != 3) or `--blocks 1,1 --widths 4,8 [--stem imagenet|small]`: stage i has blocks[i]
BasicBlocks of widths[i] planes, stride 1 then 2, downsample as in ResNet._make_layer. Stem
imagenet (default): 7x7/2 conv + 3x3/2 max pool; small: 3x3/1 conv, maxpool = nn.Identity.

Forward: W (less `optim.*` tensors) is loaded with strict=True; model and x are cast to
--dtype (f64 by default). X holds `x` [N, C, H, W] (float) and `y` [N] (integer). OUT holds
`logits` (eval mode, no grad). --train-step: train mode; parameters whose names start with a
--freeze prefix (str.startswith; "" matches all) are frozen, and a BatchNorm whose weight and
bias are both frozen is put in eval mode (uses and keeps its running statistics); loss =
nn.CrossEntropyLoss() (mean); one SGD param group per trained parameter, lr = LR x S of its
longest matching --lr-scale prefix (1 when none), no momentum or weight decay; zero_grad,
forward, backward, step. OUT holds `logits` (that forward's, before the step), `loss` [1],
every state_dict entry after the step under its own name, and `grad.NAME` per trained
parameter.

--load-strict: load CKPT (less `optim.*`) with strict=True; print `strict load ok: N tensors`
and exit 0, or PyTorch's error and exit 1.
--init-out: write the model built after torch.manual_seed(S) (--seed, 0 by default) as
float32, every BatchNorm randomised: running_mean 0.1*normal, running_var uniform(0.5, 1.5),
weight 1 + 0.1*normal, bias 0.1*normal, num_batches_tracked 3.

Outputs go to a temporary file beside them, then are renamed. Exits 0, 1 when a
--load-strict load fails, 2 on bad input.
"""

import argparse
import os
import sys
import warnings

# torch warns on import when numpy is absent; this script does not need numpy.
warnings.filterwarnings("ignore", message="Failed to initialize NumPy")

import torch  # noqa: E402
import torchvision  # noqa: E402
from safetensors.torch import load_file  # noqa: E402
from torch import nn  # noqa: E402
from torchvision.models.resnet import BasicBlock, conv1x1  # noqa: E402

sys.dont_write_bytecode = True  # no scripts/__pycache__ from the import below
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_torchvision import save_atomic  # noqa: E402

DTYPES = {"f64": torch.float64, "f32": torch.float32}


class BadInput(Exception):  # a user error: message on stderr, exit 2
    pass


class SmallResNet(nn.Module):
    """torchvision's ResNet with BasicBlocks, any number of stages of any width."""

    def __init__(self, in_ch, blocks, widths, stem, classes):
        super().__init__()
        k, stride, pad = (7, 2, 3) if stem == "imagenet" else (3, 1, 1)
        self.conv1 = nn.Conv2d(in_ch, widths[0], k, stride=stride, padding=pad, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1) if stem == "imagenet" else nn.Identity()
        inplanes = widths[0]
        for i, (n, planes) in enumerate(zip(blocks, widths)):
            stride = 1 if i == 0 else 2
            downsample = None
            if stride != 1 or inplanes != planes:
                downsample = nn.Sequential(conv1x1(inplanes, planes, stride),
                                           nn.BatchNorm2d(planes))
            layers = [BasicBlock(inplanes, planes, stride, downsample)]
            inplanes = planes
            layers += [BasicBlock(inplanes, planes) for _ in range(1, n)]
            setattr(self, f"layer{i + 1}", nn.Sequential(*layers))
        self.stages = len(blocks)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[-1], classes)
        for m in self.modules():  # torchvision's ResNet initialisation
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def forward(self, x):  # torchvision's ResNet._forward_impl
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for i in range(self.stages):
            x = getattr(self, f"layer{i + 1}")(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


def ints(text, flag):
    values = [int(v) if v.strip().isdigit() else 0 for v in text.split(",")]
    if any(v < 1 for v in values):
        raise BadInput(f"{flag} {text!r}: expected comma-separated integers >= 1")
    return values


def build(args):
    if args.in_ch < 1 or args.classes < 1:
        raise BadInput("--in-ch and --classes must be at least 1")
    if args.arch is not None:
        if args.blocks or args.widths or args.stem:
            raise BadInput("--arch and --blocks/--widths/--stem exclude each other")
        model = getattr(torchvision.models, args.arch)(weights=None, num_classes=args.classes)
        if args.in_ch != 3:
            model.conv1 = nn.Conv2d(args.in_ch, 64, 7, 2, 3, bias=False)
            nn.init.kaiming_normal_(model.conv1.weight, mode="fan_out", nonlinearity="relu")
        return model
    if not args.blocks or not args.widths:
        raise BadInput("give --arch, or --blocks and --widths")
    blocks, widths = ints(args.blocks, "--blocks"), ints(args.widths, "--widths")
    if len(blocks) != len(widths):
        raise BadInput(f"--blocks has {len(blocks)} stages, --widths {len(widths)}")
    return SmallResNet(args.in_ch, blocks, widths, args.stem or "imagenet", args.classes)


def read(path, what):
    try:
        return load_file(path)
    except Exception as e:  # missing, truncated or not safetensors at all
        raise BadInput(f"{path}: cannot read {what} as safetensors: {e}") from None


def save(tensors, path, metadata):
    try:
        save_atomic(tensors, path, metadata)
    except OSError as e:
        raise BadInput(f"{path}: {e}") from None


def randomise(model):
    """Non-trivial BatchNorm statistics and affine parameters (the RNG stream goes on)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.normal_().mul_(0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.normal_().mul_(0.1).add_(1.0)
                m.bias.normal_().mul_(0.1)
                m.num_batches_tracked.fill_(3)


def train_step(model, x, y, args):
    scales = {}
    for item in args.lr_scale:
        prefix, _, value = item.rpartition("=")
        try:
            scales[prefix] = float(value if "=" in item else "?")
        except ValueError:
            raise BadInput(f"--lr-scale {item!r}: expected PREFIX=S with S a number") from None
    model.train()
    groups, trained = [], []
    for name, p in model.named_parameters():
        p.requires_grad_(not any(name.startswith(f) for f in args.freeze))
        if p.requires_grad:
            matching = [s for s in scales if name.startswith(s)]
            scale = scales[max(matching, key=len)] if matching else 1.0
            groups.append({"params": [p], "lr": args.lr * scale})
            trained.append((name, p))
    frozen_bn = []
    for name, m in model.named_modules():  # our rule: a fully frozen BatchNorm is in eval mode
        if isinstance(m, nn.BatchNorm2d) and not (m.weight.requires_grad or m.bias.requires_grad):
            m.eval()
            frozen_bn.append(name)
    opt = torch.optim.SGD(groups, lr=args.lr, momentum=0, weight_decay=0) if groups else None
    if opt is not None:  # with everything frozen there is nothing to step
        opt.zero_grad()
    logits = model(x)
    loss = nn.CrossEntropyLoss()(logits, y)
    if opt is not None:
        loss.backward()
        opt.step()
    out = {"logits": logits, "loss": loss.reshape(1)}
    out.update(model.state_dict())
    for name, p in trained:
        out[f"grad.{name}"] = p.grad if p.grad is not None else torch.zeros_like(p)
    return out, frozen_bn


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", choices=["resnet18", "resnet34"])
    ap.add_argument("--blocks")
    ap.add_argument("--widths")
    ap.add_argument("--stem", choices=["small", "imagenet"])
    ap.add_argument("--in-ch", type=int, required=True)
    ap.add_argument("--classes", type=int, required=True)
    ap.add_argument("--weights")
    ap.add_argument("--input")
    ap.add_argument("--out")
    ap.add_argument("--dtype", choices=sorted(DTYPES), default="f64")
    ap.add_argument("--train-step", action="store_true")
    ap.add_argument("--lr", type=float)
    ap.add_argument("--freeze", action="append", default=[], metavar="PREFIX")
    ap.add_argument("--lr-scale", action="append", default=[], metavar="PREFIX=S")
    ap.add_argument("--load-strict", metavar="CKPT")
    ap.add_argument("--init-out", metavar="W")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    try:
        return run(args)
    except BadInput as e:
        print(f"resnet_reference.py: {e}", file=sys.stderr)
        return 2


def run(args):
    forward = [args.weights, args.input, args.out]
    modes = sum([args.load_strict is not None, args.init_out is not None, any(forward)])
    if modes != 1 or (any(forward) and not all(forward)):
        raise BadInput("give --weights, --input and --out; or --load-strict; or --init-out")
    if not args.train_step and (args.lr is not None or args.freeze or args.lr_scale):
        raise BadInput("--lr, --freeze and --lr-scale go with --train-step")
    if args.train_step and args.lr is None:
        raise BadInput("--train-step needs --lr")
    torch.manual_seed(args.seed)
    model = build(args)

    if args.init_out is not None:
        randomise(model)
        state = model.state_dict()
        save(state, args.init_out, {"source": "resnet_reference", "seed": str(args.seed)})
        print(f"wrote {len(state)} tensors to {args.init_out}")
        return 0

    if args.load_strict is not None:
        tensors = read(args.load_strict, "the checkpoint")
        state = {k: v for k, v in tensors.items() if not k.startswith("optim.")}
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as e:
            print(f"{args.load_strict}: {e}", file=sys.stderr)
            return 1
        print(f"strict load ok: {len(state)} tensors")
        return 0

    dtype = DTYPES[args.dtype]
    model = model.to(dtype)
    state = {k: v for k, v in read(args.weights, "weights").items() if not k.startswith("optim.")}
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise BadInput(f"{args.weights}: {e}") from None
    data = read(args.input, "the input")
    if "x" not in data or "y" not in data:
        raise BadInput(f"{args.input}: needs tensors `x` and `y`, has {sorted(data)}")
    x, y = data["x"], data["y"]
    if x.dim() != 4 or x.shape[1] != args.in_ch or not x.is_floating_point():
        raise BadInput(f"{args.input}: x must be float [N, {args.in_ch}, H, W], "
                       f"got {x.dtype} {list(x.shape)}")
    if y.shape != (x.shape[0],) or y.is_floating_point() or y.is_complex():
        raise BadInput(f"{args.input}: y must be integer [{x.shape[0]}], got {y.dtype} "
                       f"{list(y.shape)}")
    if len(y) and (y.min() < 0 or y.max() >= args.classes):
        raise BadInput(f"{args.input}: y holds labels outside 0..{args.classes - 1}")
    x, y = x.to(dtype), y.long()

    meta = {"source": "resnet_reference", "torch": torch.__version__, "dtype": args.dtype}
    if args.train_step:
        out, frozen_bn = train_step(model, x, y, args)
        meta.update(mode="train-step", frozen_bn=",".join(frozen_bn))
    else:
        model.eval()
        with torch.no_grad():
            out = {"logits": model(x)}
        meta["mode"] = "eval"
    save(out, args.out, meta)
    print(f"wrote {len(out)} tensors ({meta['mode']}, {args.dtype}) to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
