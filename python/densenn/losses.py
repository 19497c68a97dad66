"""Losses with PyTorch's default (mean) reduction: ``forward(pred, target) -> float``, then ``backward()``.

The loss owns the 1/batch (or 1/n) of the mean, so layers never rescale gradients.
``backward()`` returns dE/dpred with the shape and dtype of ``pred``.
"""

from __future__ import annotations

import numpy as np

from . import _core
from ._convert import as_float_array, as_matrix, as_numeric_array

_SUFFIX = {np.dtype(np.float32): "float32", np.dtype(np.float64): "float64"}


class Loss:
    """Base of the losses: keeps the C++ loss of the last forward and the shape of its prediction."""

    _core_name = ""

    def __init__(self):
        self._impl = None
        self._pred_shape = None
        self._impls = {}

    def __call__(self, pred, target) -> float:
        return self.forward(pred, target)

    def _impl_for(self, dtype):
        if dtype not in self._impls:
            self._impls[dtype] = getattr(_core, f"{self._core_name}_{_SUFFIX[dtype]}")()
        return self._impls[dtype]

    @staticmethod
    def _prepare(pred):
        """pred as float32/float64 for the core, and the dtype its gradient is returned in."""
        arr = as_numeric_array(pred, "pred")
        p = as_float_array(arr, name="pred")
        return p, (arr.dtype if arr.dtype.kind == "f" else p.dtype)

    def _run(self, pred: np.ndarray, call, pred_dtype) -> float:
        """Runs call(impl) and remembers the state only when it succeeds."""
        impl = self._impl_for(pred.dtype)
        value = call(impl)
        self._impl, self._pred_shape, self._pred_dtype = impl, pred.shape, pred_dtype
        return float(value)

    def backward(self) -> np.ndarray:
        """dE/dpred for the last forward: the shape and dtype of its ``pred``."""
        if self._impl is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        grad = self._impl.backward().reshape(self._pred_shape)
        return grad.astype(self._pred_dtype, copy=False)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _same_shape_target(loss: str, pred: np.ndarray, target) -> np.ndarray:
    t = as_float_array(target, pred.dtype, name="target")
    if t.shape != pred.shape:
        raise ValueError(f"{loss}: target must have the shape of pred, expected {pred.shape}, got {t.shape}")
    return t


class MSELoss(Loss):
    """Mean over all elements of ``(pred - target)^2``; gradient ``2 (pred - target) / pred.size``."""

    _core_name = "MSELoss"

    def forward(self, pred, target) -> float:
        """The mean squared error (a Python float); ``target`` has the shape of ``pred``."""
        p, grad_dtype = self._prepare(pred)
        t = _same_shape_target("MSELoss", p, target)
        return self._run(p, lambda impl: impl.forward(as_matrix(p), as_matrix(t)), grad_dtype)


class BCEWithLogitsLoss(Loss):
    """Sigmoid then binary cross-entropy, mean over all elements, stable for large logits.

    ``loss = mean(max(z, 0) - z t + log(1 + exp(-|z|)))``; gradient ``(sigmoid(z) - t) / z.size``.
    """

    _core_name = "BCEWithLogitsLoss"

    def forward(self, pred, target) -> float:
        """The loss for logits ``pred`` and targets in [0, 1] of the same shape (a Python float)."""
        p, grad_dtype = self._prepare(pred)
        t = _same_shape_target("BCEWithLogitsLoss", p, target)
        return self._run(p, lambda impl: impl.forward(as_matrix(p), as_matrix(t)), grad_dtype)


class SoftmaxCrossEntropyLoss(Loss):
    """Softmax over classes then cross-entropy, mean over the batch (``torch.nn.CrossEntropyLoss``).

    ``pred`` holds logits ``(batch, classes)`` (or ``(classes,)`` for one sample). ``target`` is
    either integer labels ``(batch,)`` in ``[0, classes)`` (a scalar for one sample) or class
    probabilities with the shape of ``pred``. Stable for huge logits.
    """

    _core_name = "SoftmaxCrossEntropyLoss"

    def forward(self, pred, target) -> float:
        """The mean cross-entropy (a Python float)."""
        p, grad_dtype = self._prepare(pred)
        z = as_matrix(p)
        t = as_numeric_array(target, "target")
        if t.shape == p.shape and t.ndim >= 1 and not (p.ndim == 1 and t.dtype.kind in "iub"):
            probs = np.ascontiguousarray(t, dtype=p.dtype)
            return self._run(p, lambda impl: impl.forward_probabilities(z, as_matrix(probs)), grad_dtype)
        labels = _labels(t, z.shape[0], expected_shape=p.shape[:-1])
        return self._run(p, lambda impl: impl.forward_labels(z, labels), grad_dtype)


def _labels(t: np.ndarray, batch: int, expected_shape) -> np.ndarray:
    """Integer class labels as a contiguous int64 (batch,) array."""
    if t.shape != tuple(expected_shape):
        raise ValueError(
            f"SoftmaxCrossEntropyLoss: target must be labels of shape {tuple(expected_shape)} "
            f"or probabilities of the shape of pred, got {t.shape}"
        )
    if t.dtype.kind == "f":
        if not np.all(np.isfinite(t)) or np.any(t != np.round(t)):
            raise ValueError("SoftmaxCrossEntropyLoss: labels must be whole numbers")
    elif t.dtype.kind not in "iu":
        raise TypeError(f"SoftmaxCrossEntropyLoss: labels must be integers, got dtype {t.dtype}")
    if t.dtype.kind == "u" and t.size and t.max() > np.iinfo(np.int64).max:
        raise ValueError(f"SoftmaxCrossEntropyLoss: label {t.max()} is out of range")
    return np.ascontiguousarray(t, dtype=np.int64).reshape(batch)
