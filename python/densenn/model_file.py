"""Model files: ``model.save(path)`` and ``dn.load(path)``, through the C++ safetensors reader/writer.

One implementation serves both languages: a file written from Python loads in C++ and back,
bitwise. Tensor names are torch.nn.Sequential state-dict keys ("0.weight", "0.bias", ...), the
architecture is stored in the file's metadata in plain words, and a self-check (a digest of the
tensors, a reference input and the output for it) lets ``load`` refuse a file that would give
other predictions than the model that was saved.
"""

from __future__ import annotations

import errno
import os
import warnings

import numpy as np

from . import _core
from .layers import Dense, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh


class ModelFileWarning(UserWarning):
    """A model file loaded, with a caveat (e.g. its tensors changed after the self-check was written)."""


_ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "softmax": Softmax}


def _file_path(path) -> str:
    """A str, bytes or os.PathLike path as a str (the core refuses one with a null byte)."""
    return os.fsdecode(os.fspath(path))


def save(model, path) -> None:
    """Writes ``model`` (a Sequential of Dense layers and built-in activations) to a .safetensors file."""
    if model.dtype is None or model._core is None:
        raise TypeError(f"this model cannot be saved: {_unsavable(model)}")
    _core.save_model([layer._impl_for(model.dtype) for layer in model._runners], _file_path(path))


def _unsavable(model) -> str:
    """Why ``model`` cannot be written to a model file."""
    from .sequential import _BUILT_IN_LAYERS, Sequential

    for i, layer in enumerate(model):
        if isinstance(layer, Sequential):
            return f"layer {i} is a nested Sequential, which model files cannot hold (flatten the model)"
        if type(layer) not in _BUILT_IN_LAYERS:
            return (
                f"layer {i} ({type(layer).__name__}) is not one of densenn's layers, which alone can be saved"
            )
    return "it has no Dense layer"


def load(path, *, verify: bool = True):
    """The Sequential stored in a densenn .safetensors file.

    With ``verify=True`` the file's self-check runs: the stored reference output is recomputed
    and a file that disagrees is refused with ``ValueError``. A missing file raises
    ``FileNotFoundError``; a file that is truncated, corrupted or not a densenn model raises
    ``ValueError``.
    """
    from .sequential import Sequential

    path = _file_path(path)
    if "\0" in path:  # as open() does, before exists() could call such a path missing
        raise ValueError("file path contains a null byte")
    if not os.path.exists(path):
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), path)
    dtype_name, core_layers, notes = _core.load_model(path, bool(verify))
    for note in notes:
        warnings.warn(note, ModelFileWarning, stacklevel=2)
    return Sequential(*[_python_layer(layer, np.dtype(dtype_name)) for layer in core_layers])


def _python_layer(core_layer, dtype: np.dtype):
    """The Python layer for a layer the C++ loader built (parameters copied, bitwise)."""
    kind = core_layer.kind
    if kind == "dense":
        sizes = (core_layer.in_features, core_layer.out_features)
        layer = Dense(*sizes, bias=core_layer.has_bias, dtype=dtype, init="zeros")
        for (_, mine), theirs in zip(layer.named_parameters(), (core_layer.weight, core_layer.bias)):
            mine[...] = theirs
        return layer
    if kind == "leaky_relu":
        # The slope as the file writes it: a float32 model's 0.2 is 0.2, not 0.20000000298023224.
        return LeakyReLU(float(str(dtype.type(core_layer.negative_slope))))
    return _ACTIVATIONS[kind]()
