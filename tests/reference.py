"""Plain float64 NumPy reference of every densenn formula: the oracle the tests compare against.

Every function converts its inputs to float64 first, so passing float32 data gives the exact
result for those float32 values. Losses return ``(value, dE/dpred)`` with PyTorch's mean reduction.
"""

import numpy as np


def _f64(*arrays):
    return [np.asarray(a, dtype=np.float64) for a in arrays]


# ---- dense layer: x (batch, in), w (out, in), b (out,) ----------------------------------------------


def dense_forward(x, w, b=None):
    """Y = X W^T + b, (batch, out)."""
    x, w = _f64(x, w)
    y = x @ w.T
    return y if b is None else y + np.asarray(b, dtype=np.float64)


def dense_backward(dy, x, w):
    """(dX, dW, db) = (dY W, dY^T X, column sums of dY)."""
    dy, x, w = _f64(dy, x, w)
    return dy @ w, dy.T @ x, dy.sum(axis=0)


def sgd(param, grad, lr):
    """param - lr * grad."""
    param, grad = _f64(param, grad)
    return param - lr * grad


def he_bound(in_features):
    return np.sqrt(6.0 / in_features)


def xavier_bound(in_features, out_features):
    return np.sqrt(6.0 / (in_features + out_features))


# ---- activations: forward(x) and backward(dy, x) -> dE/dx ------------------------------------------


def relu(x):
    (x,) = _f64(x)
    return np.where(x > 0, x, 0.0)


def relu_backward(dy, x):
    """0 where x <= 0, else dy (gradient 0 at 0, and dy at NaN, as PyTorch)."""
    dy, x = _f64(dy, x)
    return np.where(x <= 0, 0.0, dy)


def leaky_relu(x, slope=0.01):
    (x,) = _f64(x)
    return np.where(x > 0, x, slope * x)


def leaky_relu_backward(dy, x, slope=0.01):
    dy, x = _f64(dy, x)
    return np.where(x > 0, dy, slope * dy)


def sigmoid(x):
    """1 / (1 + exp(-x)), written so that exp never overflows."""
    (x,) = _f64(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_backward(dy, x):
    dy, x = _f64(dy, x)
    s = sigmoid(x)
    return dy * s * (1.0 - s)


def tanh(x):
    (x,) = _f64(x)
    return np.tanh(x)


def tanh_backward(dy, x):
    dy, x = _f64(dy, x)
    return dy * (1.0 - np.tanh(x) ** 2)


def softmax(x):
    """Softmax over the last axis, shifted by the row maximum."""
    (x,) = _f64(x)
    if x.shape[-1] == 0 or x.size == 0:
        return x.copy()
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_backward(dy, x):
    """y * (dy - <dy, y>) per row: the Jacobian diag(y) - y y^T applied to dy."""
    dy, x = _f64(dy, x)
    y = softmax(x)
    return y * (dy - (dy * y).sum(axis=-1, keepdims=True))


def log_softmax(x):
    (x,) = _f64(x)
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


# ---- losses: (value, dE/dpred), mean reduction as PyTorch ----------------------------------------


def mse(pred, target):
    """mean((pred - target)^2) over all elements; gradient 2 (pred - target) / n."""
    pred, target = _f64(pred, target)
    diff = pred - target
    return float(np.mean(diff**2)), 2.0 * diff / diff.size


def softmax_cross_entropy_labels(logits, labels):
    """mean over the batch of -log softmax(z)[label]; gradient (softmax(z) - onehot) / batch.

    ``logits`` is (batch, classes) with labels (batch,), or (classes,) with a scalar label.
    """
    (logits,) = _f64(logits)
    z = np.atleast_2d(logits)
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    batch = z.shape[0]
    rows = np.arange(batch)
    value = float(-np.mean(log_softmax(z)[rows, labels]))
    grad = softmax(z)
    grad[rows, labels] -= 1.0
    return value, (grad / batch).reshape(logits.shape)


def softmax_cross_entropy_probs(logits, probs):
    """mean over the batch of -sum_c t_c log softmax(z)_c; gradient (softmax(z) sum(t) - t) / batch."""
    logits, probs = _f64(logits, probs)
    z, t = np.atleast_2d(logits), np.atleast_2d(probs)
    batch = z.shape[0]
    value = float(-np.sum(t * log_softmax(z)) / batch)
    grad = (softmax(z) * t.sum(axis=-1, keepdims=True) - t) / batch
    return value, grad.reshape(logits.shape)


def bce_with_logits(logits, target):
    """mean of max(z, 0) - z t + log(1 + exp(-|z|)); gradient (sigmoid(z) - t) / n."""
    z, t = _f64(logits, target)
    value = float(np.mean(np.maximum(z, 0.0) - z * t + np.log1p(np.exp(-np.abs(z)))))
    return value, (sigmoid(z) - t) / z.size
