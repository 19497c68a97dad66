"""Losses with PyTorch's default (mean) reduction: ``forward(pred, target) -> float``, then ``backward()``.

The loss owns the 1/batch (or 1/n) of the mean, so layers never rescale gradients.
``backward()`` returns dE/dpred with the shape and dtype of ``pred``.
"""

from __future__ import annotations

import threading

import numpy as np

from . import _core
from ._convert import as_float_array, as_matrix, as_numeric_array, contiguous
from .threads import serialized

_SUFFIX = {np.dtype(np.float32): "float32", np.dtype(np.float64): "float64"}


class Loss:
    """Base of the losses: keeps the C++ loss of the last forward and the shape of its prediction.

    Subclasses say how a target is checked (``_target``) and how the C++ loss is called with it.
    """

    _core_name = ""

    def __init__(self):
        self._lock = threading.RLock()  # see threads.serialized
        self._impl = None  # the C++ loss of the last forward, with that forward's pred shape/dtype
        self._pred_shape = None
        self._pred_dtype = None
        self._impls = {}

    def __call__(self, pred, target) -> float:
        return self.forward(pred, target)

    @serialized
    def forward(self, pred, target) -> float:
        """The loss (a Python float) of ``pred`` against ``target``."""
        arr = as_numeric_array(pred, "pred")
        p = as_float_array(arr, arr.dtype if arr.dtype in _SUFFIX else None, name="pred")
        t = self._target(p.shape, p.dtype, target)
        impl = self._impl_for(p.dtype)
        value = self._forward(impl, as_matrix(p), t)
        # The gradient comes back in pred's own float dtype (float16 too), else in the compute dtype.
        self._remember(impl, p.shape, arr.dtype if arr.dtype.kind == "f" else p.dtype)
        return float(value)

    @serialized
    def backward(self) -> np.ndarray:
        """dE/dpred for the last forward: the shape and dtype of its ``pred``."""
        if self._impl is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        grad = self._impl.backward().reshape(self._pred_shape)
        return grad.astype(self._pred_dtype, copy=False)

    @serialized
    def _train_step(self, net, x: np.ndarray, target, lr: float, out_shape) -> float:
        """A whole training step of the C++ network ``net`` with this loss, in one call."""
        t = self._target(out_shape, x.dtype, target)
        impl = self._impl_for(x.dtype)
        value = self._step(net, x, impl, t, lr)
        self._remember(impl, out_shape, x.dtype)
        return float(value)

    def _impl_for(self, dtype):
        if dtype not in self._impls:
            self._impls[dtype] = getattr(_core, f"{self._core_name}_{_SUFFIX[dtype]}")()
        return self._impls[dtype]

    def _remember(self, impl, shape, dtype) -> None:
        self._impl, self._pred_shape, self._pred_dtype = impl, shape, np.dtype(dtype)

    # What a loss taking a target of pred's shape does; the cross-entropy overrides all three.
    def _target(self, shape, dtype, target) -> np.ndarray:
        t = as_float_array(target, dtype, name="target")
        if t.shape != shape:
            raise ValueError(
                f"{type(self).__name__}: target must have the shape of pred, expected {shape}, got {t.shape}"
            )
        return as_matrix(t)

    def _forward(self, impl, z, t):
        return impl.forward(z, t)

    def _step(self, net, x, impl, t, lr):
        return net.train_step(x, impl, t, lr)

    def __getstate__(self):
        # Pickling and copy.deepcopy keep the settings; C++ objects and the last forward start afresh.
        state = self.__dict__.copy()
        state.update(_impl=None, _pred_shape=None, _pred_dtype=None, _impls={}, _lock=None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MSELoss(Loss):
    """Mean over all elements of ``(pred - target)^2``; gradient ``2 (pred - target) / pred.size``."""

    _core_name = "MSELoss"


class BCEWithLogitsLoss(Loss):
    """Sigmoid then binary cross-entropy, mean over all elements, stable for large logits.

    ``loss = mean(max(z, 0) - z t + log(1 + exp(-|z|)))``; gradient ``(sigmoid(z) - t) / z.size``.
    ``target`` holds values in [0, 1] with the shape of ``pred``.
    """

    _core_name = "BCEWithLogitsLoss"


class SoftmaxCrossEntropyLoss(Loss):
    """Softmax over classes then cross-entropy, mean over the batch (``torch.nn.CrossEntropyLoss``).

    ``pred`` holds logits ``(batch, classes)`` (or ``(classes,)`` for one sample). ``target`` is
    either integer labels ``(batch,)`` in ``[0, classes)`` (a scalar for one sample) or class
    probabilities with the shape of ``pred``. Stable for huge logits.
    """

    _core_name = "SoftmaxCrossEntropyLoss"

    def _target(self, shape, dtype, target) -> np.ndarray:
        t = as_numeric_array(target, "target")
        if t.shape == shape and t.ndim >= 1 and not (len(shape) == 1 and t.dtype.kind in "iub"):
            return as_matrix(contiguous(t, dtype))  # class probabilities
        return _labels(t, pred_shape=shape)

    def _forward(self, impl, z, t):
        if t.dtype == np.int64:
            return impl.forward_labels(z, t)
        return impl.forward_probabilities(z, t)

    def _step(self, net, x, impl, t, lr):
        if t.dtype == np.int64:
            return net.train_step_labels(x, impl, t, lr)
        return net.train_step(x, impl, t, lr)


def _labels(t: np.ndarray, pred_shape) -> np.ndarray:
    """Integer class labels as a contiguous int64 1-D array (one label per row)."""
    if t.shape != tuple(pred_shape[:-1]):
        raise ValueError(
            f"SoftmaxCrossEntropyLoss: target must be labels of shape {tuple(pred_shape[:-1])} "
            f"or probabilities of shape {tuple(pred_shape)}, got {t.shape}"
        )
    if t.dtype.kind == "f":
        if not np.all(np.isfinite(t)) or np.any(t != np.round(t)):
            raise ValueError("SoftmaxCrossEntropyLoss: labels must be whole numbers")
    elif t.dtype.kind not in "iu":
        raise TypeError(f"SoftmaxCrossEntropyLoss: labels must be integers, got dtype {t.dtype}")
    if t.dtype.kind == "u" and t.size and t.max() > np.iinfo(np.int64).max:
        raise ValueError(f"SoftmaxCrossEntropyLoss: label {t.max()} is out of range")
    return contiguous(t, np.int64).reshape(-1)
