"""Sequential: layers applied in order; backward is the same loop reversed."""

from __future__ import annotations

import copy
import threading
from collections import namedtuple

import numpy as np

from ._convert import as_default_float_array, as_float_array, as_matrix, as_numeric_array, check_lr
from .layers import (
    Activation,
    Dense,
    Layer,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    _core_class,
    _densenn_method,
)
from .losses import BCEWithLogitsLoss, MSELoss, SoftmaxCrossEntropyLoss
from .threads import serialized
from .training import History, check_batch_size
from .training import evaluate as _evaluate
from .training import fit as _fit

# Layers and losses whose whole computation is in the C++ core; a Sequential made only of these
# runs each forward, backward, step and train_step as one call into C++.
_BUILT_IN_LAYERS = (Dense, ReLU, LeakyReLU, Sigmoid, Tanh, Softmax)
_BUILT_IN_LOSSES = (MSELoss, BCEWithLogitsLoss, SoftmaxCrossEntropyLoss)

# What load_state_dict returns, as torch.nn.Module.load_state_dict does.
IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Sequential:
    """A stack of layers: ``forward`` runs them in order, ``backward`` in reverse.

    ``model[i]`` is the very layer object passed in (negative indices work; a slice gives a new
    Sequential of the same layers). Dense sizes must chain, across activations too, every Dense
    must have the same dtype, and no layer object but an activation may appear twice (a layer
    keeps one cached input and one set of gradients; pass a ``copy.deepcopy`` of it instead);
    otherwise construction raises ``ValueError``. An activation has no parameters: one object may
    be repeated, as in PyTorch, and computes as a fresh copy of it at each position would.
    Several models may share a layer; a backward after another model's forward through a shared
    layer raises ``RuntimeError`` (the layer holds that other input).
    """

    def __init__(self, *layers):
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])  # Keras style: Sequential([...])
        for i, layer in enumerate(layers):
            if not (callable(getattr(layer, "forward", None)) and callable(getattr(layer, "backward", None))):
                raise TypeError(f"layer {i} ({type(layer).__name__}) has no forward/backward methods")
        _check_distinct(layers)
        self._lock = threading.RLock()  # see threads.serialized
        self._layers = list(layers)
        self._runners = _runners(self._layers)  # what forward and backward run, position by position
        self.dtype = _common_dtype(self._layers)
        self._input_width, self._output_width = _check_sizes_chain(self._layers)
        self._in_shape = self._out_shape = None  # shapes of the last training forward
        self._layer_out_shapes = []  # and of each layer's output (Python loop only)
        self._stamps = []  # each layer's _forward_stamp() after the last forward (Python loop only)
        self._core = self._core_network()

    def _core_network(self):
        """The C++ Sequential over the runners' C++ layers, when every layer is built in."""
        if self.dtype is None or any(type(layer) not in _BUILT_IN_LAYERS for layer in self._layers):
            return None
        return _core_class("Sequential", self.dtype)([layer._impl_for(self.dtype) for layer in self._runners])

    # ---- the container ------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._layers)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(*self._layers[index])
        return self._layers[index]

    def __iter__(self):
        return iter(self._layers)

    def __repr__(self) -> str:  # a nested model's lines indented under its own, as torch prints them
        inner = "".join(
            f"\n  ({i}): " + repr(layer).replace("\n", "\n  ") for i, layer in enumerate(self._layers)
        )
        return f"Sequential({inner}\n)" if inner else "Sequential()"

    @property
    def in_features(self):
        """Input width of the first Dense layer (None when there is none)."""
        dense = [layer for layer in self._layers if isinstance(layer, (Dense, Sequential))]
        return dense[0].in_features if dense else None

    @property
    def out_features(self):
        """Output width of the last Dense layer (None when there is none)."""
        dense = [layer for layer in self._layers if isinstance(layer, (Dense, Sequential))]
        return dense[-1].out_features if dense else None

    # ---- computing ----------------------------------------------------------------------------
    def __call__(self, x):
        return self.forward(x)

    @serialized
    def forward(self, x) -> np.ndarray:
        """The network's output for ``x`` ``(batch, in)`` or ``(in,)``, keeping state for backward."""
        arr = self._prepare(x)
        if self._core is not None:
            if arr.ndim == 2:
                out = self._core.forward(arr)
            else:
                out = self._core.forward(as_matrix(arr)).reshape(-1)
        else:
            out, shapes = arr, []
            for layer in self._runners:
                out = layer.forward(out)
                shapes.append(np.shape(out))
            self._layer_out_shapes = shapes
            self._stamps = [_forward_stamp(layer) for layer in self._runners]
            out = _owned(out, arr)
        self._in_shape, self._out_shape = arr.shape, np.shape(out)
        return out

    @serialized
    def predict(self, x, *, batch_size=None) -> np.ndarray:
        """The output for ``x`` without training state: gradients and backward are unaffected.

        With ``batch_size``, the rows go through in chunks of that many (less memory at once). The
        result is bitwise the same when every chunk has 3 rows or more; one or two rows take a kernel
        that adds each sum in another order (the values then agree to rounding). So a last chunk of
        one or two rows joins the one before it.
        """
        arr = self._prepare(x)
        if batch_size is not None:
            batch_size = check_batch_size(batch_size)
            rows = arr.shape[0] if arr.ndim == 2 else 0
            if rows > batch_size:
                starts = list(range(0, rows, batch_size))
                if rows - starts[-1] <= 2 and batch_size >= 3:
                    starts.pop()
                bounds = zip(starts, starts[1:] + [rows])
                return np.concatenate([self.predict(arr[i:j]) for i, j in bounds])
        if self._core is not None:
            if arr.ndim == 2:
                return self._core.predict(arr)
            return self._core.predict(as_matrix(arr)).reshape(-1)
        out = arr
        for layer in self._runners:
            out = layer.predict(out) if hasattr(layer, "predict") else layer.forward(out)
        return _owned(out, arr)

    @serialized
    def backward(self, grad) -> np.ndarray:
        """Backpropagates dE/doutput through every layer, overwriting their gradients; returns dE/dx."""
        if self._out_shape is None:
            raise RuntimeError("Sequential.backward called before forward")
        grad = given = as_float_array(grad, self.dtype, name="grad")
        if grad.shape != self._out_shape:
            raise ValueError(
                f"Sequential.backward: expected grad of shape {self._out_shape} (the last forward's "
                f"output), got {grad.shape}"
            )
        if self._core is not None:
            dx = self._core.backward(as_matrix(grad))
            return dx if len(self._in_shape) == 2 else dx.reshape(self._in_shape)
        # densenn's layers first: one that has run a training forward since this one (called
        # directly, or by another model sharing it) must raise before the layers behind it have
        # overwritten their gradients, as the C++ Sequential does.
        for k, (layer, shape, stamp) in enumerate(zip(self._runners, self._layer_out_shapes, self._stamps)):
            if isinstance(layer, Layer):
                if _forward_stamp(layer) != stamp:  # first: its cache may now have another shape too
                    raise RuntimeError(
                        f"Sequential.backward: layer {k} ({layer!r}) has run a training forward since this "
                        "model's forward (it is shared with another model, or was called directly), so it "
                        "holds another input: call forward again"
                    )
                # What densenn's backward would raise; a backward of one's own raises itself.
                if _densenn_method(layer, "backward"):
                    layer._check_backward(shape)
        saved = []  # the gradients overwritten so far, put back if a later layer raises
        try:
            for layer in reversed(self._runners):
                if isinstance(layer, Layer):
                    saved.extend((g, g.copy()) for g in layer.gradients())
                grad = layer.backward(grad)
        except BaseException:
            for g, old in saved:
                g[...] = old
            raise
        return _owned(grad, given)

    @serialized
    def step(self, lr) -> None:
        """Plain SGD on every parameter: ``p -= lr * grad``, in place."""
        lr = check_lr(lr)
        if self._core is not None:
            return self._core.step(lr)
        for layer in self._runners:
            if hasattr(layer, "step"):
                layer.step(lr)

    @serialized
    def train_step(self, x, target, loss, lr) -> float:
        """One SGD training step; returns the loss before the update.

        The same as ``loss.forward(model.forward(x), target)``, ``model.backward(loss.backward())``,
        ``model.step(lr)``, but in one call into C++ when the layers and the loss are built in
        (the first layer's unused dE/dx is not computed then).
        """
        lr = check_lr(lr)
        arr = self._prepare(x)
        if self._core is None or type(loss) not in _BUILT_IN_LOSSES or arr.ndim != 2:
            value = loss.forward(self.forward(arr), target)
            self.backward(loss.backward())
            self.step(lr)
            return value
        out_shape = (arr.shape[0], self._output_width)
        value = loss._train_step(self._core, arr, target, lr, out_shape)
        self._in_shape, self._out_shape = arr.shape, out_shape
        return value

    def _prepare(self, x) -> np.ndarray:
        # Checked here, before any layer runs, so that a wrong width changes no layer's state.
        if self.dtype is None:  # no Dense: the dtype a standalone activation would compute in
            arr = as_default_float_array(x, name="x")
        else:
            arr = as_float_array(x, self.dtype, name="x")
        width = self._input_width
        if width is not None and arr.shape[-1] != width:
            expected = f"(batch, {width}) or ({width},)"
            raise ValueError(f"Sequential: expected x of shape {expected}, got {arr.shape}")
        return arr

    # ---- parameters ---------------------------------------------------------------------------
    def named_parameters(self) -> list[tuple[str, np.ndarray]]:
        """[("0.weight", array), ("0.bias", array), ...], the keys of torch.nn.Sequential."""
        named = []
        for i, layer in enumerate(self._layers):
            if hasattr(layer, "named_parameters"):
                named += [(f"{i}.{name}", p) for name, p in layer.named_parameters()]
        return named

    def parameters(self) -> list[np.ndarray]:
        """Every parameter array in order, each sharing memory with its layer."""
        return [p for _, p in self.named_parameters()]

    def gradients(self) -> list[np.ndarray]:
        """The gradient arrays of parameters(), in the same order."""
        return [g for layer in self._layers if hasattr(layer, "gradients") for g in layer.gradients()]

    @serialized
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Zeroes every gradient, for PyTorch habits: backward overwrites them anyway.
        ``set_to_none`` is accepted for compatibility (the gradient buffers always exist)."""
        for g in self.gradients():
            g[...] = 0

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter under its torch.nn.Sequential key ("0.weight", ...)."""
        return {name: p.copy() for name, p in self.named_parameters()}

    @serialized
    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copies the arrays of ``state_dict`` into the parameters: all of them, or none.

        Keys must match exactly (with ``strict=False``, as in PyTorch, keys missing from either side
        are left out) and every array must have its parameter's shape; otherwise ``ValueError``
        (``TypeError`` for non-numeric values) and the model is left unchanged. Returns
        ``(missing_keys, unexpected_keys)``, as PyTorch does.
        """
        named = dict(self.named_parameters())
        try:
            keys = list(state_dict.keys())
        except AttributeError as e:
            raise TypeError(f"state_dict must be a mapping, got {type(state_dict).__name__}") from e
        missing = [k for k in named if k not in state_dict]
        unexpected = [k for k in keys if k not in named]
        if strict and (missing or unexpected):
            raise ValueError(f"load_state_dict: missing keys {missing}, unexpected keys {unexpected}")
        staged = {}
        for name, target in named.items():
            if name in missing:
                continue
            value = as_numeric_array(state_dict[name], name)
            if value.shape != target.shape:
                raise ValueError(f"load_state_dict: {name}: expected shape {target.shape}, got {value.shape}")
            staged[name] = value
        for name, value in staged.items():  # everything checked: now copy
            np.copyto(named[name], value, casting="unsafe")
        return IncompatibleKeys(missing, unexpected)

    # ---- files and PyTorch ------------------------------------------------------------------------
    def save(self, path) -> None:
        """Writes the model to a .safetensors file that ``dn.load`` (and densenn's C++ ``load``) reads.

        Tensors are named as torch.nn.Sequential's state dict ("0.weight", ...), so
        ``torch_model.load_state_dict(safetensors.torch.load_file(path))`` accepts them as they are.
        Only Dense layers and densenn's activations can be saved (``TypeError`` otherwise).
        """
        from .model_file import save

        save(self, path)

    def to_torch(self):
        """A torch.nn.Sequential with the same layers and a copy of the parameters (needs torch)."""
        from .torch_interop import to_torch

        return to_torch(self)

    def _clone(self, dtype) -> Sequential:
        # Layers of the user's own that are not dn.Layer subclasses are deep copies, run as they are.
        clones = [
            layer._clone(dtype) if isinstance(layer, (Layer, Sequential)) else copy.deepcopy(layer)
            for layer in self._layers
        ]
        return Sequential(*clones)

    def __reduce__(self):
        # Pickling and copy.deepcopy: the layers (each copied by its own rules); no training state.
        return Sequential, tuple(self._layers)

    # ---- training conveniences (densenn.training) ---------------------------------------------
    @serialized
    def fit(
        self,
        x,
        y,
        *,
        loss,
        optimizer=None,
        lr=None,
        epochs=1,
        batch_size=32,
        shuffle=True,
        validation_data=None,
        validation_split=0.0,
        seed=None,
        progress=True,
        callbacks=None,
        metrics=None,
    ) -> History:
        """Trains on ``(x, y)`` in mini-batches and returns the per-epoch History (Keras style).

        ``model.fit(x, y, loss="cross_entropy", optimizer="adam", epochs=10, validation_split=0.2)``;
        every argument is described in ``densenn.training.fit``.
        """
        return _fit(
            self,
            x,
            y,
            loss=loss,
            optimizer=optimizer,
            lr=lr,
            epochs=epochs,
            batch_size=batch_size,
            shuffle=shuffle,
            validation_data=validation_data,
            validation_split=validation_split,
            seed=seed,
            progress=progress,
            callbacks=callbacks,
            metrics=metrics,
        )

    def evaluate(self, x, y, loss, *, batch_size=None, metrics=None) -> dict[str, float]:
        """``{"loss": ..., "accuracy": ...}`` on ``(x, y)``, without touching training state."""
        return _evaluate(self, x, y, loss, batch_size=batch_size, metrics=metrics)


def _forward_stamp(layer):
    """What tells a densenn layer's training forwards apart (None for a layer of the user's own)."""
    return layer._forward_stamp() if isinstance(layer, Layer) else None


def _check_distinct(layers):
    """Refuses a layer object that appears twice, nested Sequentials included; an activation may.

    A repeated activation runs as a fresh copy at each position (see _runners), except inside the
    nested Sequential that holds it, which runs the object itself: two nested Sequentials holding
    it would share its cached input, so that is refused too.
    """
    seen, holder = {}, {}

    def visit(layer, where):
        if id(layer) in seen and not isinstance(layer, Activation):
            raise ValueError(
                f"layer {where} ({layer!r}) is the same object as layer {seen[id(layer)]}: a layer keeps one "
                "cached input and one set of gradients, so it cannot appear twice in a Sequential "
                "(use copy.deepcopy(layer) for an independent copy)"
            )
        if isinstance(layer, Activation) and "." in where:  # in a nested Sequential: which one?
            other = holder.setdefault(id(layer), where)
            if other.split(".")[0] != where.split(".")[0]:
                raise ValueError(
                    f"layer {where} ({layer!r}) is the same object as layer {other}, in another nested "
                    "Sequential: the two would share its cached input (use copy.deepcopy(layer) for an "
                    "independent copy)"
                )
        seen.setdefault(id(layer), where)
        if isinstance(layer, Sequential):
            for i, inner in enumerate(layer):
                visit(inner, f"{where}.{i}")

    for i, layer in enumerate(layers):
        visit(layer, str(i))


def _owned(out, given):
    """``out``, copied if it shares memory with the caller's array ``given`` (a model without layers,
    or a layer of one's own that returns its input): what forward, predict and backward return
    belongs to the caller."""
    return out.copy() if np.may_share_memory(out, given) else out


def _runners(layers):
    """The objects forward and backward run: the layers themselves, except a repeated activation.

    An activation keeps the input of its last forward for backward, so each position gets its own
    copy (same kind and settings) after its first, and every position does when a nested
    Sequential holds the same object (which runs it itself).
    """
    taken = {id(inner) for layer in layers if isinstance(layer, Sequential) for inner in _all_layers(layer)}
    runners = []
    for layer in layers:
        if isinstance(layer, Activation) and id(layer) in taken:
            layer = copy.deepcopy(layer)  # a fresh activation: settings kept, no C++ layer or cached input
        taken.add(id(layer))
        runners.append(layer)
    return runners


def _all_layers(model):
    """Every layer object in a Sequential, those of nested Sequentials included."""
    for layer in model:
        yield layer
        if isinstance(layer, Sequential):
            yield from _all_layers(layer)


def _common_dtype(layers):
    """The dtype shared by every Dense (or nested Sequential); None when there is no such layer."""
    dtypes = {
        np.dtype(layer.dtype) for layer in layers if isinstance(layer, (Dense, Sequential)) and layer.dtype
    }
    if len(dtypes) > 1:
        raise ValueError(
            f"all layers of a Sequential must share one dtype, got {sorted(d.name for d in dtypes)}"
        )
    return dtypes.pop() if dtypes else None


def _check_sizes_chain(layers):
    """Checks that each Dense's in_features equals the width reaching it.

    Activations keep the width; after a user-defined layer the width is unknown. Returns the
    width the first layer expects (None when no Dense comes before an unknown layer) and the
    width of the output (None when unknown).
    """
    width, previous, input_width, known = None, None, None, True
    for i, layer in enumerate(layers):
        if isinstance(layer, (Dense, Sequential)) and layer.in_features is not None:
            if width is not None and layer.in_features != width:
                raise ValueError(
                    f"layer {i} ({layer!r}) expects {layer.in_features} input features, but layer "
                    f"{previous} gives {width}"
                )
            if input_width is None and known:
                input_width = layer.in_features
            width, previous = layer.out_features, i
        elif not isinstance(layer, (Activation, Sequential)):
            width, known = None, False
    return input_width, width
