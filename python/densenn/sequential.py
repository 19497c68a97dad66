"""Sequential: layers applied in order; backward is the same loop reversed."""

from __future__ import annotations

import numpy as np

from ._convert import as_float_array, as_numeric_array, check_lr
from .layers import Activation, Dense
from .training import History, check_batch_size
from .training import evaluate as _evaluate
from .training import fit as _fit


class Sequential:
    """A stack of layers: ``forward`` runs them in order, ``backward`` in reverse.

    ``model[i]`` is the very layer object passed in (negative indices work; a slice gives a new
    Sequential of the same layers). Dense sizes must chain, across activations too, and every
    Dense must have the same dtype; otherwise construction raises ``ValueError``.
    """

    def __init__(self, *layers):
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])  # Keras style: Sequential([...])
        for i, layer in enumerate(layers):
            if not (callable(getattr(layer, "forward", None)) and callable(getattr(layer, "backward", None))):
                raise TypeError(f"layer {i} ({type(layer).__name__}) has no forward/backward methods")
        self._layers = list(layers)
        self.dtype = _common_dtype(self._layers)
        self._input_width = _check_sizes_chain(self._layers)
        self._out_shape = None  # the last training forward's output shape

    # ---- the container ------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._layers)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(*self._layers[index])
        return self._layers[index]

    def __iter__(self):
        return iter(self._layers)

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({i}): {layer!r}" for i, layer in enumerate(self._layers))
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

    def forward(self, x) -> np.ndarray:
        """The network's output for ``x`` ``(batch, in)`` or ``(in,)``, keeping state for backward."""
        out = self._prepare(x)
        for layer in self._layers:
            out = layer.forward(out)
        self._out_shape = np.shape(out)
        return out

    def predict(self, x, *, batch_size=None) -> np.ndarray:
        """The output for ``x`` without training state: gradients and backward are unaffected.

        With ``batch_size``, the rows go through in chunks of that many (less memory at once; the
        result is the same).
        """
        out = self._prepare(x)
        if batch_size is not None:
            batch_size = check_batch_size(batch_size)
            if out.ndim == 2 and out.shape[0] > batch_size:
                chunks = [self.predict(out[i : i + batch_size]) for i in range(0, out.shape[0], batch_size)]
                return np.concatenate(chunks)
        for layer in self._layers:
            out = layer.predict(out) if hasattr(layer, "predict") else layer.forward(out)
        return out

    def backward(self, grad) -> np.ndarray:
        """Backpropagates dE/doutput through every layer, overwriting their gradients; returns dE/dx."""
        if self._out_shape is None:
            raise RuntimeError("Sequential.backward called before forward")
        grad = as_float_array(grad, self.dtype, name="grad")
        if grad.shape != self._out_shape:
            raise ValueError(
                f"Sequential.backward: expected grad of shape {self._out_shape} (the last forward's "
                f"output), got {grad.shape}"
            )
        for layer in reversed(self._layers):
            grad = layer.backward(grad)
        return grad

    def step(self, lr) -> None:
        """Plain SGD on every parameter: ``p -= lr * grad``, in place."""
        lr = check_lr(lr)
        for layer in self._layers:
            if hasattr(layer, "step"):
                layer.step(lr)

    def _prepare(self, x) -> np.ndarray:
        # Checked here, before any layer runs, so that a wrong width changes no layer's state.
        arr = as_float_array(x, self.dtype, name="x")
        width = self._input_width
        if width is not None and arr.shape[-1] != width:
            raise ValueError(
                f"Sequential: expected x of shape (batch, {width}) or ({width},), got {arr.shape}"
            )
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

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter under its torch.nn.Sequential key ("0.weight", ...)."""
        return {name: p.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state_dict) -> None:
        """Copies the arrays of ``state_dict`` into the parameters: all of them, or none.

        Keys must match exactly and every array must have its parameter's shape; otherwise
        ``ValueError`` (``TypeError`` for non-numeric values) and the model is left unchanged.
        """
        named = dict(self.named_parameters())
        try:
            keys = list(state_dict.keys())
        except AttributeError as e:
            raise TypeError(f"state_dict must be a mapping, got {type(state_dict).__name__}") from e
        missing = [k for k in named if k not in state_dict]
        unexpected = [k for k in keys if k not in named]
        if missing or unexpected:
            raise ValueError(f"load_state_dict: missing keys {missing}, unexpected keys {unexpected}")
        staged = {}
        for name, target in named.items():
            value = as_numeric_array(state_dict[name], name)
            if value.shape != target.shape:
                raise ValueError(f"load_state_dict: {name}: expected shape {target.shape}, got {value.shape}")
            staged[name] = value
        for name, value in staged.items():  # everything checked: now copy
            np.copyto(named[name], value, casting="unsafe")

    def _clone(self, dtype) -> Sequential:
        return Sequential(*[layer._clone(dtype) for layer in self._layers])

    # ---- training conveniences (densenn.training) ---------------------------------------------
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
    """Checks that each Dense's in_features equals the width reaching it; returns the input width.

    Activations keep the width; after a user-defined layer the width is unknown. The result is
    the width the first layer expects, or None when no Dense comes before an unknown layer.
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
    return input_width
