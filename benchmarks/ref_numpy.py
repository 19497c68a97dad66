"""Plain-NumPy reference MLP: the "student implements the textbook formulas" baseline.

Formulas (W has shape (out, in), X has shape (batch, in)):

    forward   Y  = X W^T + b
    backward  dX = dY W
              dW = dY^T X
              db = sum of dY over the batch
    SGD       W -= lr * dW ;  b -= lr * db      (in place)

Losses use mean reduction:
    MSELoss                 L = mean((pred - target)^2)            dL/dpred = 2 (pred - target) / pred.size
    SoftmaxCrossEntropyLoss L = -mean_i log softmax(z_i)[y_i]      dL/dz    = (softmax(z) - onehot(y)) / batch
                            (y: integer class labels)

The API mirrors the one expected from densenn:
    model = Sequential(Dense(16, 64), ReLU(), Dense(64, 1))
    pred = model.forward(x)
    loss = MSELoss(); value = loss.forward(pred, target); g = loss.backward()
    model.backward(g); model.step(lr)

Everything stays in the dtype of the parameters (float32 by default).
Run this file directly for a finite-difference gradient check.
"""

import numpy as np


class Dense:
    """Fully connected layer: Y = X W^T + b, W of shape (out_features, in_features)."""

    def __init__(self, in_features, out_features, rng=None, dtype=np.float32):
        rng = np.random.default_rng() if rng is None else rng
        # Same default initialisation as torch.nn.Linear: U(-1/sqrt(in), 1/sqrt(in)).
        bound = 1.0 / np.sqrt(in_features)
        self.W = rng.uniform(-bound, bound, size=(out_features, in_features)).astype(dtype)
        self.b = rng.uniform(-bound, bound, size=(out_features,)).astype(dtype)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        self.x = None

    def forward(self, x):
        self.x = x
        return x @ self.W.T + self.b

    def backward(self, dy):
        self.dW = dy.T @ self.x
        self.db = dy.sum(axis=0)
        return dy @ self.W

    def step(self, lr):
        self.W -= lr * self.dW
        self.b -= lr * self.db

    def parameters(self):
        return [self.W, self.b]

    def gradients(self):
        return [self.dW, self.db]


class ReLU:
    def __init__(self):
        self.x = None

    def forward(self, x):
        self.x = x
        return np.maximum(x, 0)

    def backward(self, dy):
        return dy * (self.x > 0)

    def step(self, lr):
        pass

    def parameters(self):
        return []

    def gradients(self):
        return []


class Sequential:
    def __init__(self, *layers):
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad):
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad

    def step(self, lr):
        for layer in self.layers:
            layer.step(lr)

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def gradients(self):
        return [g for layer in self.layers for g in layer.gradients()]


class MSELoss:
    """Mean squared error over all elements."""

    def forward(self, pred, target):
        self.diff = pred - target
        return float(np.mean(self.diff * self.diff))

    def backward(self):
        return (2.0 / self.diff.size) * self.diff


class SoftmaxCrossEntropyLoss:
    """Softmax + cross-entropy with integer labels, mean over the batch."""

    def forward(self, logits, labels):
        z = logits - logits.max(axis=1, keepdims=True)  # numerically stable
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        self.probs = e / s
        self.labels = labels
        rows = np.arange(logits.shape[0])
        log_p = z[rows, labels] - np.log(s[:, 0])
        return float(-np.mean(log_p))

    def backward(self):
        n = self.probs.shape[0]
        grad = self.probs.copy()
        grad[np.arange(n), self.labels] -= 1
        grad /= n
        return grad


class SGD:
    """Plain SGD over a model's parameters (equivalent to model.step(lr))."""

    def __init__(self, model, lr=0.01):
        self.model = model
        self.lr = lr

    def step(self):
        self.model.step(self.lr)


def mlp(sizes, rng=None, dtype=np.float32):
    """Dense layers of the given sizes with ReLU between them (none after the last)."""
    rng = np.random.default_rng(0) if rng is None else rng
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i > 0:
            layers.append(ReLU())
        layers.append(Dense(n_in, n_out, rng=rng, dtype=dtype))
    return Sequential(*layers)


def train_step(model, loss_fn, x, target, lr=0.01):
    """One full step: forward, loss, backward, SGD update. Returns the loss."""
    pred = model.forward(x)
    loss = loss_fn.forward(pred, target)
    model.backward(loss_fn.backward())
    model.step(lr)
    return loss


def _gradient_check():
    """Finite differences in float64 on a small net, for both losses."""
    rng = np.random.default_rng(1)
    worst = 0.0
    for loss_fn, target in (
        (MSELoss(), rng.normal(size=(5, 3))),
        (SoftmaxCrossEntropyLoss(), rng.integers(0, 3, size=5)),
    ):
        model = mlp([4, 6, 5, 3], rng=rng, dtype=np.float64)
        x = rng.normal(size=(5, 4))
        loss_fn.forward(model.forward(x), target)
        dx = model.backward(loss_fn.backward())
        eps = 1e-6
        checks = [(p, g) for p, g in zip(model.parameters(), model.gradients())]
        checks.append((x, dx))
        for p, g in checks:
            num = np.zeros_like(p)
            for idx in np.ndindex(p.shape):
                old = p[idx]
                p[idx] = old + eps
                lp = loss_fn.forward(model.forward(x), target)
                p[idx] = old - eps
                lm = loss_fn.forward(model.forward(x), target)
                p[idx] = old
                num[idx] = (lp - lm) / (2 * eps)
            err = np.max(np.abs(num - g)) / max(1e-12, np.max(np.abs(num)))
            worst = max(worst, err)
    return worst


if __name__ == "__main__":
    err = _gradient_check()
    print(f"max relative gradient error (finite differences, float64): {err:.2e}")
    print("OK" if err < 1e-6 else "FAILED")
