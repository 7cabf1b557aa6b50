"""The chapter's Route 1 (the MLP from scratch in NumPy) in one file, line for line: utils.py,
data.py, layers.py, losses.py, model.py, optim.py and train.py concatenated in that order, with
the same classes, float64 arrays, `rng.normal(0, 0.1, ...)` initialization, `iterate_minibatches`
seeded with `seed+epoch`, per-epoch validation and print line. It is the Python reference that
`compare bench --python` times against our `scratch train` process (whole-process wall time), so
it imports and does nothing the chapter does not, except the marked additions below.

Every line that is not in the chapter carries a `# not in the chapter` comment. The additions:
command-line options for the sizes `train()` hard-codes (the defaults reproduce the chapter's
`train()` exactly), `--dim` extra standard-normal noise features after the two circle features,
`--time-steps` (time only the minibatch loop bodies, print one JSON line at the end) and
`--quiet` (no epoch lines).

Run with the project's Python (NumPy only, no PyTorch):

    .venv/bin/python scripts/chapter_route1.py [--n 2000] [--epochs 20] [--hidden 32] [--dim 0]
        [--batch-size 64] [--lr 0.5] [--seed 42] [--time-steps] [--quiet]

With `--time-steps` the last line of stdout is
`{"samples": n_train*epochs, "seconds": S, "samples_per_s": R}`, where n_train = int(0.8*n) and
S sums, over every minibatch of every epoch, the time of forward, loss, backward, step and the
per-batch loss/accuracy bookkeeping (not the batch shuffle/gather, not validation).
"""

import argparse  # not in the chapter: the command-line options
import json  # not in the chapter: the --time-steps line
import time  # not in the chapter: --time-steps

import numpy as np


# utils.py
def set_seed(seed: int = 42):
    np.random.seed(seed)


# data.py
def make_toy_data(n=1000, seed=42, dim=0):  # not in the chapter: dim
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    # frontera no lineal: círculo
    y = (X[:, 0]**2 + X[:, 1]**2 > 1.0).astype(np.int64)
    # split simple
    idx = rng.permutation(n)
    # not in the chapter: --dim noise columns, drawn after the split so that the circle points
    # and the split stay the chapter's whatever dim is (dim=0 draws nothing)
    if dim > 0:  # not in the chapter
        X = np.hstack([X, rng.normal(size=(n, dim))])  # not in the chapter
    train_idx = idx[: int(0.8*n)]
    val_idx = idx[int(0.8*n):]
    return X[train_idx], y[train_idx], X[val_idx], y[val_idx]


# layers.py
class Linear:
    def __init__(self, in_features, out_features, seed=42):
        rng = np.random.default_rng(seed)
        # inicialización simple (puedes ajustar escala)
        self.W = rng.normal(0, 0.1, size=(in_features, out_features))
        self.b = np.zeros((1, out_features))
        self.cache_X = None
        # gradientes
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)

    def forward(self, X):
        self.cache_X = X
        return X @ self.W + self.b

    def backward(self, dY):
        X = self.cache_X
        # dW: (in, batch)@(batch, out) => (in, out)
        self.dW = X.T @ dY
        # db: suma sobre batch
        self.db = np.sum(dY, axis=0, keepdims=True)
        # dX: (batch, out)@(out, in) => (batch, in)
        dX = dY @ self.W.T
        return dX


class ReLU:
    def __init__(self):
        self.cache_X = None

    def forward(self, X):
        self.cache_X = X
        return np.maximum(0, X)

    def backward(self, dY):
        X = self.cache_X
        dX = dY * (X > 0)
        return dX


# losses.py
def sigmoid(x):
    # estable: evita overflow en exp
    pos = x >= 0
    neg = ~pos
    out = np.empty_like(x)
    out[pos] = 1 / (1 + np.exp(-x[pos]))
    expx = np.exp(x[neg])
    out[neg] = expx / (1 + expx)
    return out


class BCEWithLogitsLoss:
    def __init__(self):
        self.cache_logits = None
        self.cache_y = None

    def forward(self, logits, y):
        # logits: (batch, 1), y: (batch,) o (batch,1)
        y = y.reshape(-1, 1).astype(np.float64)
        self.cache_logits = logits
        self.cache_y = y
        p = sigmoid(logits)
        eps = 1e-12
        loss = -np.mean(y*np.log(p+eps) + (1-y)*np.log(1-p+eps))
        return loss

    def backward(self):
        logits = self.cache_logits
        y = self.cache_y
        p = sigmoid(logits)
        # dL/dlogits = (p - y)/batch (promedio)
        batch = y.shape[0]
        return (p - y) / batch


# model.py
class MLP:
    def __init__(self, in_features=2, hidden=16, seed=42):
        self.l1 = Linear(in_features, hidden, seed=seed)
        self.a1 = ReLU()
        self.l2 = Linear(hidden, 1, seed=seed+1)
        self.layers = [self.l1, self.a1, self.l2]

    def forward(self, X):
        out = X
        for layer in self.layers:
            out = layer.forward(out)
        return out  # logits

    def backward(self, dlogits):
        grad = dlogits
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad

    def parameters(self):
        # devuelve referencias a parámetros y gradientes
        return [
            (self.l1, 'W', 'dW'),
            (self.l1, 'b', 'db'),
            (self.l2, 'W', 'dW'),
            (self.l2, 'b', 'db')
        ]


# optim.py
class SGD:
    def __init__(self, lr=0.1):
        self.lr = lr

    def step(self, params):
        for (obj, p_name, g_name) in params:
            p = getattr(obj, p_name)
            g = getattr(obj, g_name)
            setattr(obj, p_name, p - self.lr * g)


# utils.py
def accuracy_from_logits(logits, y):
    y = y.reshape(-1)
    preds = (logits.reshape(-1) > 0).astype(np.int64)
    return np.mean(preds == y)


# train.py
def iterate_minibatches(X, y, batch_size=64, seed=42):
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        batch_idx = idx[start:start+batch_size]
        yield X[batch_idx], y[batch_idx]


def train(epochs=20, lr=0.5, batch_size=64, seed=42,  # not in the chapter: the line break
          n=2000, hidden=32, dim=0, time_steps=False, quiet=False):  # not in the chapter
    set_seed(seed)
    Xtr, ytr, Xva, yva = make_toy_data(n=n, seed=seed, dim=dim)  # not in the chapter: n, dim
    model = MLP(in_features=2 + dim, hidden=hidden, seed=seed)  # not in the chapter: 2 + dim, hidden
    loss_fn = BCEWithLogitsLoss()
    opt = SGD(lr=lr)
    seconds = 0.0  # not in the chapter: --time-steps
    for epoch in range(1, epochs+1):
        # entrenamiento
        train_losses = []
        train_accs = []
        for Xb, yb in iterate_minibatches(Xtr, ytr, batch_size=batch_size, seed=seed+epoch):
            if time_steps:  # not in the chapter
                start = time.perf_counter()  # not in the chapter
            logits = model.forward(Xb)
            loss = loss_fn.forward(logits, yb)
            dlogits = loss_fn.backward()
            model.backward(dlogits)
            opt.step(model.parameters())
            train_losses.append(loss)
            train_accs.append(accuracy_from_logits(logits, yb))
            if time_steps:  # not in the chapter
                seconds += time.perf_counter() - start  # not in the chapter
        # validación (sin backward)
        val_logits = model.forward(Xva)
        val_loss = loss_fn.forward(val_logits, yva)
        val_acc = accuracy_from_logits(val_logits, yva)
        if not quiet:  # not in the chapter: --quiet
            print(f"epoch={epoch:03d} train_loss={np.mean(train_losses):.4f} train_acc={np.mean(train_accs):.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")
    if time_steps:  # not in the chapter: the --time-steps line
        samples = len(Xtr) * epochs  # not in the chapter
        print(json.dumps({"samples": samples, "seconds": seconds,  # not in the chapter
                          "samples_per_s": samples / seconds if seconds > 0 else None}))  # not in the chapter
    return model


def parse_args():  # not in the chapter: the whole function
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="rows before the 80/20 split")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--dim", type=int, default=0, help="extra standard-normal noise features")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--time-steps", action="store_true",
                        help="time the minibatch loop bodies; print one JSON line at the end")
    parser.add_argument("--quiet", action="store_true", help="no per-epoch lines")
    args = parser.parse_args()
    for name in ("n", "epochs", "hidden", "batch_size"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    if args.dim < 0:
        parser.error(f"--dim must be at least 0, got {args.dim}")
    if int(0.8 * args.n) < 1 or args.n - int(0.8 * args.n) < 1:
        parser.error(f"--n {args.n} leaves an empty training or validation split (need n >= 2)")
    return args


if __name__ == "__main__":
    train(**vars(parse_args()))  # not in the chapter: the options (same names as train's)
