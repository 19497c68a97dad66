"""Layers: Dense and the activations, thin Python objects over the C++ core's layers.

Every layer keeps the same contract (PyTorch's ``nn.Linear`` layout, one sample per row):
``forward(x)`` takes ``(batch, in)`` or ``(in,)`` and returns a new array; ``backward(grad_out)``
takes the shape of the last forward's output and returns dE/dx with the shape of its input,
overwriting (never accumulating) the layer's gradients; ``predict(x)`` is forward without
keeping anything for backward; ``step(lr)`` is plain SGD.
"""

from __future__ import annotations

import copy
import os
import threading

import numpy as np

from . import _core
from ._convert import (
    as_default_float_array,
    as_float_array,
    as_matrix,
    as_numeric_array,
    check_lr,
    check_real,
    check_size,
    resolve_dtype,
)
from .threads import serialized

_SUFFIX = {np.dtype(np.float32): "float32", np.dtype(np.float64): "float64"}


def _core_class(name: str, dtype: np.dtype):
    return getattr(_core, f"{name}_{_SUFFIX[dtype]}")


def _densenn_method(layer, name: str) -> bool:
    """Whether ``layer``'s method ``name`` is densenn's own, not one a subclass of the user's overrides."""
    owner = next((cls for cls in type(layer).__mro__ if name in cls.__dict__), None)
    return owner is not None and owner.__module__.split(".")[0] == "densenn"


class Layer:
    """Base of densenn's layers: forward, backward, predict, step and parameter access."""

    def __init__(self):
        self._lock = threading.RLock()  # see threads.serialized
        self._in_shape = None  # shapes of the last training forward's input and output
        self._out_shape = None
        self._impl = None  # the C++ layer used by the last training forward, and its dtype
        self._impl_dtype = None
        self._own_stamp = None  # the C++ layer's forward stamp after this layer's own training forward

    def __call__(self, x):
        return self.forward(x)

    def __repr__(self) -> str:  # a layer of one's own, subclassing this one, prints as torch's modules do
        return f"{type(self).__name__}()"

    # Subclasses provide _impl_for(dtype) -> the C++ layer, and _input_dtype(x) -> the dtype to use
    # (or their own _prepare(x) -> the input as an array of that dtype).
    @serialized
    def forward(self, x) -> np.ndarray:
        """Output for ``x`` of shape ``(batch, in)`` or ``(in,)``, keeping what backward needs."""
        arr = self._prepare(x)
        impl = self._impl_for(arr.dtype)
        out = impl.forward(as_matrix(arr), True)
        self._impl, self._impl_dtype, self._in_shape = impl, arr.dtype, arr.shape
        self._own_stamp = impl.forward_stamp  # a model's forward through this layer changes it
        out = out.reshape(-1) if arr.ndim == 1 else out
        self._out_shape = out.shape
        return out

    @serialized
    def predict(self, x) -> np.ndarray:
        """Output for ``x`` without keeping state: gradients and a later backward are unaffected."""
        if not _densenn_method(self, "forward"):  # a subclass of one's own that overrides forward only
            return self.forward(x)
        arr = self._prepare(x)
        out = self._impl_for(arr.dtype).forward(as_matrix(arr), False)
        return out.reshape(-1) if arr.ndim == 1 else out

    @serialized
    def backward(self, grad_out) -> np.ndarray:
        """dE/dx for ``grad_out`` = dE/dy shaped like the last forward's output."""
        self._check_backward(None)
        grad = as_float_array(grad_out, self._impl_dtype, name="grad_out")
        self._check_backward(grad.shape)
        return self._impl.backward(as_matrix(grad)).reshape(self._in_shape)

    def _forward_stamp(self):
        """Changes at every training forward of this layer (see Sequential.backward)."""
        return None if self._impl is None else (self._impl_dtype, self._impl.forward_stamp)

    def _check_backward(self, shape) -> None:
        """Raises what backward would for a grad_out of this shape (None: any), changing nothing."""
        if self._impl is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        if self._impl.forward_stamp != self._own_stamp:
            raise RuntimeError(
                f"{type(self).__name__}.backward: a model holding this layer has run a training forward "
                "through it since its own forward, so it holds that model's input: call forward again"
            )
        if shape is not None and shape != self._out_shape:
            raise ValueError(
                f"{type(self).__name__}.backward: expected grad_out of shape {self._out_shape} "
                f"(the last forward's output), got {shape}"
            )

    @serialized
    def step(self, lr) -> None:
        """Plain SGD on the layer's parameters (nothing for a layer without parameters)."""
        check_lr(lr)

    def named_parameters(self) -> list[tuple[str, np.ndarray]]:
        """[(name, array)] of the layer's parameters, each a view of the C++ buffer."""
        return []

    def parameters(self) -> list[np.ndarray]:
        """The layer's parameter arrays (writable views of the C++ buffers)."""
        return [p for _, p in self.named_parameters()]

    def gradients(self) -> list[np.ndarray]:
        """The gradients of parameters(), in the same order."""
        return []

    @serialized
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Zeroes the gradients, for PyTorch habits: backward overwrites them anyway.
        ``set_to_none`` is accepted for compatibility (the gradient buffers always exist)."""
        for g in self.gradients():
            g[...] = 0

    def _prepare(self, x) -> np.ndarray:
        return as_float_array(x, self._input_dtype(x), name="x")

    def _clone(self, dtype):
        """A twin computing in ``dtype`` (gradcheck's float64 copy). densenn's layers are rebuilt in
        that dtype with copies of their values; a subclass of one keeps its class and copies of its
        own attributes, so that its own methods run; any other layer is a deep copy."""
        if not hasattr(self, "_rebuild"):
            return copy.deepcopy(self)
        clone = self._rebuild(dtype)
        if type(clone) is not type(self):
            own = {k: v for k, v in self.__dict__.items() if k not in clone.__dict__}
            clone.__class__ = type(self)
            clone.__dict__.update(copy.deepcopy(own))
        return clone

    def __getstate__(self):
        # Pickling and copy.deepcopy keep the settings; C++ objects and training state start afresh.
        state = self.__dict__.copy()
        state.update(_impl=None, _impl_dtype=None, _in_shape=None, _out_shape=None, _lock=None)
        if "_impls" in state:
            state["_impls"] = {}
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock = threading.RLock()


class Dense(Layer):
    """Fully connected layer ``y = x W^T + b``; ``weight`` is ``(out_features, in_features)``.

    ``init`` is ``"he"`` (uniform in ±sqrt(6/in_features), the default), ``"xavier"`` (uniform in
    ±sqrt(6/(in_features+out_features))) or ``"zeros"``; the bias starts at zero. The same ``seed``
    gives bitwise the same weights (in Python and C++); ``seed=None`` draws a random one.
    ``dtype`` is float32 (the default, also for ``None`` as in PyTorch) or float64, or their names.
    """

    def __init__(self, in_features, out_features, *, bias=True, dtype=np.float32, init="he", seed=None):
        super().__init__()
        in_features = check_size(in_features, "in_features")
        out_features = check_size(out_features, "out_features")
        self.dtype = resolve_dtype(dtype)
        if not isinstance(init, str):
            raise TypeError(f"init must be a string ('he', 'xavier' or 'zeros'), got {type(init).__name__}")
        if init not in ("he", "xavier", "zeros"):
            raise ValueError(f"unknown init {init!r}: expected 'he', 'xavier' or 'zeros'")
        if seed is None:
            seed = int.from_bytes(os.urandom(8), "little")
        elif isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"seed must be an integer or None, got {type(seed).__name__}")
        elif not 0 <= seed < 2**64:
            raise ValueError(f"seed must be in [0, 2**64), got {seed}")
        self.init, self.seed = init, int(seed)
        self._dense = _core_class("Dense", self.dtype)(in_features, out_features, self.seed, init, bool(bias))
        # Views of the C++ buffers, made once; each keeps the C++ layer alive through its base.
        self._weight, self._grad_weight = self._dense.weight, self._dense.grad_weight
        self._bias, self._grad_bias = self._dense.bias, self._dense.grad_bias

    in_features = property(lambda self: self._dense.in_features, doc="Number of input features.")
    out_features = property(lambda self: self._dense.out_features, doc="Number of output features.")
    grad_weight = property(lambda self: self._grad_weight, doc="dE/dW from the last backward (a view).")
    grad_bias = property(lambda self: self._grad_bias, doc="dE/db from the last backward (a view), or None.")

    @property
    def weight(self) -> np.ndarray:
        """The weights, ``(out_features, in_features)``: a writable view of the C++ buffer."""
        return self._weight

    @weight.setter
    def weight(self, value) -> None:
        self._assign(self._weight, value, "weight")

    @property
    def bias(self):
        """The bias, ``(out_features,)``: a writable view of the C++ buffer, or None."""
        return self._bias

    @bias.setter
    def bias(self, value) -> None:
        if self._bias is None:
            raise ValueError("this Dense layer was built with bias=False")
        self._assign(self._bias, value, "bias")

    @staticmethod
    def _assign(target: np.ndarray, value, name: str) -> None:
        arr = as_numeric_array(value, name)
        if arr.shape != target.shape:
            raise ValueError(f"{name}: expected shape {target.shape}, got {arr.shape}")
        np.copyto(target, arr, casting="unsafe")

    def _input_dtype(self, x):
        return self.dtype

    def _impl_for(self, dtype):
        return self._dense

    def _prepare(self, x):
        arr = super()._prepare(x)
        if arr.shape[-1] != self.in_features:
            raise ValueError(
                f"Dense({self.in_features}, {self.out_features}): expected x of shape "
                f"(batch, {self.in_features}) or ({self.in_features},), got {arr.shape}"
            )
        return arr

    @serialized
    def step(self, lr) -> None:
        """``weight -= lr * grad_weight; bias -= lr * grad_bias``, in place."""
        self._dense.step(check_lr(lr))

    def named_parameters(self):
        """[("weight", view), ("bias", view)] (no bias entry when built with bias=False)."""
        params = [("weight", self._weight)]
        return params + ([("bias", self._bias)] if self._bias is not None else [])

    def gradients(self):
        """[grad_weight, grad_bias], in the order of parameters()."""
        return [self._grad_weight] + ([self._grad_bias] if self._grad_bias is not None else [])

    def _settings(self, dtype) -> tuple:
        has_bias = self._bias is not None
        return (self.in_features, self.out_features, has_bias, np.dtype(dtype).name, self.init, self.seed)

    def _rebuild(self, dtype) -> Dense:
        """A new Dense of `dtype` with a copy of these parameters and gradients."""
        return _restore_dense(*self._settings(dtype), self.parameters(), self.gradients())

    def __reduce__(self):
        # Pickling and copy.deepcopy: the settings and copies of the parameters and gradients.
        arrays = [[a.copy() for a in self.parameters()], [g.copy() for g in self.gradients()]]
        return _restore_dense, (*self._settings(self.dtype), *arrays)

    def __repr__(self) -> str:
        extra = "" if self._bias is not None else ", bias=False"
        extra += "" if self.dtype == np.float32 else f", dtype={self.dtype.name}"
        return f"Dense({self.in_features}, {self.out_features}{extra})"


def _restore_dense(in_features, out_features, bias, dtype, init, seed, parameters, gradients) -> Dense:
    """A Dense layer with these settings, parameters and gradients (copied)."""
    layer = Dense(in_features, out_features, bias=bias, dtype=dtype, init="zeros")
    for target, value in zip(layer.parameters() + layer.gradients(), list(parameters) + list(gradients)):
        target[...] = value
    layer.init, layer.seed = init, seed
    return layer


class Activation(Layer):
    """An elementwise (or row-wise) activation, in the dtype ``torch.as_tensor(x)`` would give it.

    float64 arrays and tensors are computed in float64; everything else (lists, integers, float16,
    float32) in float32, PyTorch's default dtype.
    """

    _core_name = ""

    def __init__(self):
        super().__init__()
        self._impls = {}

    def _prepare(self, x):
        return as_default_float_array(x, name="x")

    def _impl_for(self, dtype):
        dtype = np.dtype(dtype)
        if dtype not in self._impls:
            self._impls[dtype] = self._make(_core_class(self._core_name, dtype))
        return self._impls[dtype]

    def _make(self, cls):
        return cls()

    def _rebuild(self, dtype):
        # The densenn class this is (or derives from): ReLU, Sigmoid, ...
        builtin = next((c for c in type(self).__mro__ if c.__module__ == __name__ and c._core_name), None)
        return builtin() if builtin is not None else copy.deepcopy(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ReLU(Activation):
    """``max(x, 0)``, elementwise (gradient 0 at 0, as PyTorch)."""

    _core_name = "ReLU"


class LeakyReLU(Activation):
    """``x if x > 0 else negative_slope * x``, elementwise."""

    _core_name = "LeakyReLU"

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self._negative_slope = float(check_real(negative_slope, "negative_slope"))

    @property
    def negative_slope(self) -> float:
        """The slope for negative inputs, fixed at construction: the C++ layers computing with it,
        in this object and in the models holding it, were built with it."""
        return self._negative_slope

    @negative_slope.setter
    def negative_slope(self, value) -> None:
        raise AttributeError(
            "LeakyReLU.negative_slope is fixed at construction (the layer already computes with it): "
            f"use a new LeakyReLU({value!r})"
        )

    def _make(self, cls):
        return cls(self.negative_slope)

    def _rebuild(self, dtype):
        return LeakyReLU(self.negative_slope)

    def __repr__(self) -> str:
        return f"LeakyReLU(negative_slope={self.negative_slope})"


class Sigmoid(Activation):
    """``1 / (1 + exp(-x))``, elementwise, without overflow for large ``|x|``."""

    _core_name = "Sigmoid"


class Tanh(Activation):
    """``tanh(x)``, elementwise."""

    _core_name = "Tanh"


class Softmax(Activation):
    """Softmax over the last axis (each row sums to 1), stable for large inputs."""

    _core_name = "Softmax"
