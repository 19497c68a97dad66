"""Keras-style training: fit and evaluate over mini-batches, History, callbacks and EarlyStopping.

    history = model.fit(x, y, loss="cross_entropy", optimizer="adam", lr=1e-3, epochs=20,
                        batch_size=32, validation_split=0.2, seed=0)
    history["val_accuracy"][-1]

``Sequential.fit`` and ``Sequential.evaluate`` delegate here. A callback is a ``Callback`` (its
``on_epoch_end(epoch, logs)`` returning True stops training) or any callable ``f(epoch, logs)``,
called after every epoch with that epoch's logs (``{"loss": ..., "accuracy": ..., "val_loss": ...}``).
"""

from __future__ import annotations

import math
import numbers
import sys
import time
from collections.abc import Mapping

import numpy as np

from ._convert import as_float_array, as_numeric_array, check_int, check_lr
from .losses import BCEWithLogitsLoss, Loss, MSELoss, SoftmaxCrossEntropyLoss
from .optimizers import SGD, Adam, AdamW, Optimizer

_LOSS_NAMES = {
    "mse": MSELoss,
    "cross_entropy": SoftmaxCrossEntropyLoss,
    "bce_with_logits": BCEWithLogitsLoss,
}
_OPTIMIZER_NAMES = {"sgd": SGD, "adam": Adam, "adamw": AdamW}
_DEFAULT_LR = {"sgd": 0.01, "adam": 1e-3, "adamw": 1e-3}


# ---- History ---------------------------------------------------------------------------------------------


class History(Mapping):
    """Per-epoch values of a ``fit``: a read-only dict of lists (``history["loss"][epoch]``).

    Keys are ``"loss"``, the metrics (``"accuracy"`` for classification losses) and the same with a
    ``val_`` prefix when there is validation data. ``history.history`` is the plain dict (as in
    Keras) and ``history.epoch`` the epoch numbers (from 0).
    """

    def __init__(self):
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.params: dict = {}

    def _append(self, epoch: int, logs: dict) -> None:
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def __getitem__(self, key):
        return self.history[key]

    def __iter__(self):
        return iter(self.history)

    def __len__(self) -> int:
        return len(self.history)

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"

    def plot(self, path=None, *, keys=None):
        """Draws each value against the epoch, training and validation (``val_``) curves together.

        One panel per quantity (loss, accuracy, ...). With ``path`` the figure is written there (the
        format follows the extension: .png, .svg, .pdf) without needing a display. Returns the
        matplotlib ``Figure``. Needs matplotlib: ``pip install "densenn[plot]"``.
        """
        try:
            import matplotlib  # noqa: F401  (imported here only: `import densenn` stays light)
        except ImportError as e:
            raise ImportError('History.plot needs matplotlib: pip install "densenn[plot]"') from e
        names = [k for k in self.history if not k.startswith("val_")]
        names += [k[4:] for k in self.history if k.startswith("val_") and k[4:] not in self.history]
        if keys is not None:
            keys = [keys] if isinstance(keys, str) else list(keys)
            unknown = [k for k in keys if k not in names]
            if unknown:
                raise ValueError(f"History.plot: unknown keys {unknown}; the history has {names}")
            names = keys
        if not names:
            raise ValueError("History.plot: the history is empty (fit ran no epoch)")
        from matplotlib.ticker import MaxNLocator

        if path is None:
            from matplotlib import pyplot as plt  # interactive: a window or a notebook cell

            fig = plt.figure(figsize=(5 * len(names), 4))
        else:
            from matplotlib.figure import Figure  # no pyplot: works without a display

            fig = Figure(figsize=(5 * len(names), 4))
        epochs = np.asarray(self.epoch) + 1
        for i, name in enumerate(names):
            ax = fig.add_subplot(1, len(names), i + 1)
            for key, label in ((name, "training"), (f"val_{name}", "validation")):
                if key in self.history:
                    ax.plot(epochs, self.history[key], marker="o" if len(epochs) < 30 else None, label=label)
            ax.set_title(name)
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(alpha=0.3)
            ax.legend()
        fig.tight_layout()
        if path is not None:
            fig.savefig(path)
        return fig


# ---- callbacks ------------------------------------------------------------------------------------------


class Callback:
    """Hooks ``fit`` calls; override the ones you need. ``self.model`` is the model being trained.

    ``on_epoch_end`` returning True, or setting ``self.model.stop_training = True`` (Keras's way,
    from any hook), stops training after that epoch.
    """

    model = None
    params: dict = {}

    def set_params(self, params: dict) -> None:
        """Called by ``fit`` before anything else with its settings: ``epochs``, ``batch_size``,
        ``samples`` and ``metrics`` (the names every epoch's logs will hold). Raising here stops
        ``fit`` before the model changes."""
        self.params = params

    def set_model(self, model) -> None:
        """Called by ``fit`` before training with the model it trains."""
        self.model = model

    def on_train_begin(self, logs=None) -> None:
        """Called once before the first epoch."""

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        """Called at the start of each epoch (counted from 0)."""

    def on_epoch_end(self, epoch: int, logs=None):
        """Called after each epoch with its logs ({"loss": ..., "val_loss": ...}); True stops training."""

    def on_train_end(self, logs=None) -> None:
        """Called once after the last epoch."""


class _FunctionCallback(Callback):
    """A plain callable ``f(epoch, logs)``, called after every epoch (True stops training)."""

    def __init__(self, function):
        self.function = function

    def on_epoch_end(self, epoch, logs=None):
        return self.function(epoch, logs)


class EarlyStopping(Callback):
    """Stops training when ``monitor`` has not improved for ``patience`` epochs.

    ``mode`` is ``"min"``, ``"max"`` or ``"auto"`` (max for accuracies, min otherwise); an
    improvement must exceed ``min_delta``, and a NaN is never one. With ``restore_best_weights``
    the model ends training with bitwise the weights of its best epoch (whether or not training
    stopped early). After ``fit``: ``best`` (the best value), ``best_epoch`` and ``stopped_epoch``
    (None if it ran to the end); ``best_epoch`` stays None, and no weights are restored, when every
    value was NaN.
    """

    def __init__(
        self, monitor="val_loss", patience=0, *, min_delta=0.0, mode="auto", restore_best_weights=False
    ):
        if not isinstance(monitor, str):
            raise TypeError(f"monitor must be a string such as 'val_loss', got {type(monitor).__name__}")
        self.patience = check_int(patience, "patience")
        if self.patience < 0:
            raise ValueError(f"patience must be >= 0, got {self.patience}")
        if isinstance(min_delta, bool) or not isinstance(min_delta, numbers.Real) or not min_delta >= 0:
            raise ValueError(f"min_delta must be a number >= 0, got {min_delta!r}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        if mode == "auto":
            mode = "max" if "acc" in monitor else "min"
        self.monitor, self.min_delta, self.mode = monitor, float(min_delta), mode
        self.restore_best_weights = bool(restore_best_weights)
        self.on_train_begin()

    def on_train_begin(self, logs=None) -> None:
        """Resets the count of epochs without improvement and the best value seen."""
        self.wait = 0
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = None
        self.best_weights = None
        self.stopped_epoch = None

    def set_params(self, params: dict) -> None:
        """Checks the monitor against the names ``fit`` will log, before the model changes."""
        super().set_params(params)
        self._check_monitor(params["metrics"])

    def _check_monitor(self, logged) -> None:
        """Raises ValueError unless ``monitor`` is among the names ``logged``."""
        if self.monitor not in logged:
            raise ValueError(
                f"EarlyStopping: monitor {self.monitor!r} is not among the logged values {sorted(logged)} "
                f"(val_ values need validation_data or validation_split)"
            )

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, epoch, logs=None):
        """Records an improvement (and the weights, if asked), or stops after ``patience`` epochs without."""
        logs = logs or {}
        self._check_monitor(logs)
        value = float(logs[self.monitor])
        self.wait += 1
        if not math.isnan(value) and (self.best_epoch is None or self._improved(value)):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.state_dict()
            return None
        if self.wait >= self.patience:  # as Keras: patience 0 stops at the first epoch without improvement
            self.stopped_epoch = epoch
            return True
        return None

    def on_train_end(self, logs=None) -> None:
        """Restores the best epoch's weights when ``restore_best_weights`` is set."""
        if self.restore_best_weights and self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)


def _callbacks(callbacks) -> list[Callback]:
    if callbacks is None:
        return []
    if isinstance(callbacks, (Callback, type)) or callable(callbacks):
        callbacks = [callbacks]
    result = []
    for cb in callbacks:
        if isinstance(cb, type):  # callable, but calling it would make a callback, not run one
            raise TypeError(f"pass a callback object, such as {cb.__name__}(), not the class {cb.__name__}")
        if isinstance(cb, Callback):
            result.append(cb)
        elif callable(cb):
            result.append(_FunctionCallback(cb))
        else:
            raise TypeError(f"a callback must be a densenn Callback or a callable f(epoch, logs), got {cb!r}")
    return result


# ---- losses and metrics ---------------------------------------------------------------------------------


def _loss(loss) -> Loss:
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, type) and issubclass(loss, Loss):
        return loss()
    if isinstance(loss, str) and loss in _LOSS_NAMES:
        return _LOSS_NAMES[loss]()
    raise TypeError(
        f"loss must be a densenn loss (dn.SoftmaxCrossEntropyLoss(), ...) or one of {sorted(_LOSS_NAMES)}, "
        f"got {loss!r}"
    )


def _categorical_accuracy(logits: np.ndarray, target: np.ndarray) -> float:
    """The fraction of rows whose largest logit is the label (or the most probable target class)."""
    labels = target if target.ndim == logits.ndim - 1 else target.argmax(axis=-1)
    return float(np.mean(logits.argmax(axis=-1) == labels))


def _binary_accuracy(logits: np.ndarray, target: np.ndarray) -> float:
    """The fraction of values on the right side: logit > 0 exactly where target > 0.5."""
    return float(np.mean((logits > 0) == (target > 0.5)))


def _metrics(metrics, loss_fn: Loss) -> list[tuple[str, object]]:
    accuracy = None
    if isinstance(loss_fn, SoftmaxCrossEntropyLoss):
        accuracy = _categorical_accuracy
    elif isinstance(loss_fn, BCEWithLogitsLoss):
        accuracy = _binary_accuracy
    if metrics is None:
        return [("accuracy", accuracy)] if accuracy else []
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    result = []
    for metric in metrics:
        if isinstance(metric, str) and metric in ("accuracy", "acc"):
            if accuracy is None:
                raise ValueError(f"accuracy needs a classification loss, not {type(loss_fn).__name__}")
            result.append(("accuracy", accuracy))
        elif callable(metric):
            result.append((getattr(metric, "__name__", type(metric).__name__), metric))
        else:
            raise ValueError(
                f"unknown metric {metric!r}: use 'accuracy' or a callable f(pred, target) -> float"
            )
    return _unique_names(result)


def _unique_names(metrics: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """Each metric under its own name: a name already taken (by the loss or an earlier metric, such
    as two lambdas) gets ``_1``, ``_2``, ... as Keras does, so no two values are added together."""
    taken, result = {"loss"}, []
    for name, fn in metrics:
        unique, k = name, 0
        while unique in taken:
            k += 1
            unique = f"{name}_{k}"
        taken.add(unique)
        result.append((unique, fn))
    return result


# ---- data -------------------------------------------------------------------------------------------------


def _inputs(model, x, name: str) -> np.ndarray:
    arr = as_float_array(x, model.dtype, name=name)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (samples, features), got shape {arr.shape}")
    return arr


def _targets(model, loss_fn: Loss, x: np.ndarray, y, name: str) -> np.ndarray:
    """y checked against x and the loss, once for the whole set, before any training step.

    A bad label in the last batch must fail before the first batch changes the weights.
    """
    arr = as_numeric_array(y, name)
    if arr.ndim == 0 or arr.shape[0] != x.shape[0]:
        raise ValueError(f"{name} must have one row per sample of x ({x.shape[0]}), got shape {arr.shape}")
    if x.shape[0] == 0:
        return arr
    width = model.predict(x[:1]).shape[-1]
    if isinstance(loss_fn, SoftmaxCrossEntropyLoss) and arr.ndim == 1:
        if arr.dtype.kind == "f" and (not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr))):
            raise ValueError(f"{name}: class labels must be whole numbers")
        if arr.dtype.kind == "b" or arr.min() < 0 or arr.max() >= width:
            raise ValueError(
                f"{name}: class labels must be integers in [0, {width}), got [{arr.min()}, {arr.max()}]"
            )
        return np.ascontiguousarray(arr, dtype=np.int64)
    if arr.ndim == 1 and width == 1 and not isinstance(loss_fn, SoftmaxCrossEntropyLoss):
        arr = arr.reshape(-1, 1)  # (n,) targets for a (n, 1) output, as Keras accepts them
    arr = as_float_array(arr, x.dtype, name=name)
    if arr.shape[1:] != (width,):
        raise ValueError(
            f"{name}: expected shape ({x.shape[0]}, {width}) to match the model's output, got {arr.shape}"
        )
    return arr


def check_batch_size(value, name: str = "batch_size") -> int:
    """A batch size: an integer >= 1."""
    value = check_int(value, name)
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return value


def _optimizer(optimizer, lr, model):
    """The optimizer to step with: an Optimizer, or a float lr for model.step (plain SGD)."""
    if isinstance(optimizer, Optimizer):
        if lr is not None:
            raise ValueError("lr belongs to the optimizer you passed: set it there, not in fit")
        return optimizer
    if optimizer is None:
        return check_lr(0.01 if lr is None else lr)
    if isinstance(optimizer, str) and optimizer.lower() in _OPTIMIZER_NAMES:
        name = optimizer.lower()
        return _OPTIMIZER_NAMES[name](
            model.parameters(), lr=check_lr(_DEFAULT_LR[name] if lr is None else lr)
        )
    raise TypeError(
        f"optimizer must be a densenn optimizer, None or one of {sorted(_OPTIMIZER_NAMES)}, got {optimizer!r}"
    )


# ---- progress ---------------------------------------------------------------------------------------------


def _format(logs: dict) -> str:
    return " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())


class _Progress:
    """A tqdm bar per epoch when stderr is a terminal; otherwise one line per epoch; or nothing."""

    def __init__(self, enabled: bool, epochs: int, batches: int):
        self.epochs, self.batches, self.bar, self.tqdm = epochs, batches, None, None
        self.enabled = bool(enabled)
        stream = sys.stderr
        if self.enabled and stream is not None and getattr(stream, "isatty", lambda: False)():
            try:
                from tqdm import tqdm  # imported only here: `import densenn` stays fast

                self.tqdm = tqdm
            except ImportError:
                pass  # no tqdm: one line per epoch instead

    def start(self, epoch: int) -> None:
        self.started = time.perf_counter()
        if self.tqdm is not None:
            self.bar = self.tqdm(
                total=self.batches,
                desc=f"Epoch {epoch + 1}/{self.epochs}",
                unit="batch",
                file=sys.stderr,
                leave=True,
                dynamic_ncols=True,
            )

    def update(self, logs: dict) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(_format(logs), refresh=False)
            self.bar.update(1)

    def end(self, epoch: int, logs: dict) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(_format(logs), refresh=False)
            self.bar.close()
            self.bar = None
        elif self.enabled:
            seconds = time.perf_counter() - self.started
            print(f"Epoch {epoch + 1}/{self.epochs} - {seconds:.2f}s - {_format(logs)}", file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


# ---- fit and evaluate -------------------------------------------------------------------------------------


def evaluate(model, x, y, loss, *, batch_size=None, metrics=None) -> dict[str, float]:
    """The loss (and metrics, accuracy for classification losses) of ``model`` on ``(x, y)``.

    Uses ``predict``, so the model's training state and gradients are untouched. With
    ``batch_size`` the data goes through in chunks of that many rows (values are size-weighted
    means, equal to the whole-set values up to rounding).
    """
    loss_fn = _loss(loss)
    x = _inputs(model, x, "x")
    if x.shape[0] == 0:
        raise ValueError("evaluate needs at least one sample")
    y = _targets(model, loss_fn, x, y, "y")
    metric_fns = _metrics(metrics, loss_fn)
    step = x.shape[0] if batch_size is None else check_batch_size(batch_size)
    return _evaluate(model, x, y, loss_fn, metric_fns, step)


def _evaluate(model, x, y, loss_fn, metric_fns, batch_size) -> dict[str, float]:
    totals = dict.fromkeys(["loss"] + [name for name, _ in metric_fns], 0.0)
    for start in range(0, x.shape[0], batch_size):
        xb, yb = x[start : start + batch_size], y[start : start + batch_size]
        pred = model.predict(xb)
        totals["loss"] += loss_fn.forward(pred, yb) * len(xb)
        for name, fn in metric_fns:
            totals[name] += float(fn(pred, yb)) * len(xb)
    return {key: value / x.shape[0] for key, value in totals.items()}


def fit(
    model,
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
    """Trains ``model`` on ``(x, y)`` in mini-batches; returns the per-epoch ``History``.

    - ``loss``: a densenn loss, or ``"mse"``, ``"cross_entropy"``, ``"bce_with_logits"``.
    - ``optimizer``: a densenn optimizer (``dn.Adam(model.parameters())``), ``"sgd"``, ``"adam"``,
      ``"adamw"`` (built with ``lr``), or None for plain SGD ``model.step(lr)``. ``lr`` defaults
      to 0.01 for SGD and 1e-3 for Adam; give it to the optimizer instead when you pass one.
    - ``batch_size`` rows per step; ``shuffle`` draws a new order every epoch from ``seed``, so the
      same seed (and the same initial weights) gives bitwise the same training.
    - ``validation_data=(x_val, y_val)``, or ``validation_split``: the last fraction of ``(x, y)``
      (taken before shuffling, as Keras does) is held out. Validation values get a ``val_`` prefix.
    - ``metrics``: None gives ``accuracy`` for classification losses; or a list of ``"accuracy"``
      and callables ``f(pred, target) -> float``, logged under their ``__name__`` (a name already
      taken gets ``_1``, ``_2``, ...). Training values are averaged over the epoch's batches (each
      measured before its step), validation values at the end of the epoch.
    - ``progress``: a bar per epoch on a terminal (tqdm), one line per epoch otherwise; False
      prints nothing.
    - ``callbacks``: ``Callback`` objects (such as ``EarlyStopping``) or callables ``f(epoch, logs)``;
      any that returns True (or sets ``model.stop_training = True``) stops training after that epoch.

    Everything is checked before the first step: bad data or settings raise and leave the model
    as it was.
    """
    loss_fn = _loss(loss)
    x = _inputs(model, x, "x")
    epochs = check_int(epochs, "epochs")
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs}")
    batch_size = check_batch_size(batch_size)
    if isinstance(validation_split, bool) or not isinstance(validation_split, numbers.Real):
        raise TypeError(f"validation_split must be a number in [0, 1), got {validation_split!r}")
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"validation_split must be in [0, 1), got {validation_split}")
    y = _targets(model, loss_fn, x, y, "y")
    if validation_split > 0:
        if validation_data is not None:
            raise ValueError("give validation_data or validation_split, not both")
        split = int(x.shape[0] * (1.0 - validation_split))
        if split == x.shape[0] or split == 0:
            raise ValueError(
                f"validation_split={validation_split} of {x.shape[0]} samples leaves an empty training or "
                f"validation set"
            )
        x, x_val, y, y_val = x[:split], x[split:], y[:split], y[split:]
    elif validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError("validation_data must be a pair (x_val, y_val)")
        x_val = _inputs(model, validation_data[0], "validation x")
        if x_val.shape[0] == 0:
            raise ValueError("validation_data has no samples")
        y_val = _targets(model, loss_fn, x_val, validation_data[1], "validation y")
    else:
        x_val = y_val = None
    n = x.shape[0]
    if n == 0:
        raise ValueError("fit needs at least one training sample")
    metric_fns = _metrics(metrics, loss_fn)
    step = _optimizer(optimizer, lr, model)
    rng = np.random.default_rng(seed)
    hooks = _callbacks(callbacks)
    logged = ["loss"] + [name for name, _ in metric_fns]
    logged += [f"val_{name}" for name in logged] if x_val is not None else []
    params = {"epochs": epochs, "batch_size": batch_size, "samples": n, "metrics": logged}
    for cb in hooks:
        cb.set_params(params)
    batches = -(-n // batch_size)

    history = History()
    model.stop_training = False  # as Keras: a callback may set it to stop after the epoch
    for cb in hooks:
        cb.set_model(model)
        cb.on_train_begin()
    bar = _Progress(progress, epochs, batches)
    logs: dict = {}
    try:
        for epoch in range(epochs):
            for cb in hooks:
                cb.on_epoch_begin(epoch)
            order = rng.permutation(n) if shuffle else None
            totals = dict.fromkeys(["loss"] + [name for name, _ in metric_fns], 0.0)
            seen = 0
            bar.start(epoch)
            for start in range(0, n, batch_size):
                if order is None:
                    xb, yb = x[start : start + batch_size], y[start : start + batch_size]
                else:  # gathered batch by batch: no shuffled copy of the whole data set
                    rows = order[start : start + batch_size]
                    xb, yb = x[rows], y[rows]
                pred = model.forward(xb)
                totals["loss"] += loss_fn.forward(pred, yb) * len(xb)
                for name, fn in metric_fns:
                    totals[name] += float(fn(pred, yb)) * len(xb)
                model.backward(loss_fn.backward())
                if isinstance(step, Optimizer):
                    step.step()
                else:
                    model.step(step)
                seen += len(xb)
                bar.update({key: value / seen for key, value in totals.items()})
            logs = {key: value / n for key, value in totals.items()}
            if x_val is not None:
                val = _evaluate(model, x_val, y_val, loss_fn, metric_fns, max(batch_size, 1024))
                logs.update({f"val_{key}": value for key, value in val.items()})
            history._append(epoch, logs)
            bar.end(epoch, logs)
            stop = [cb.on_epoch_end(epoch, dict(logs)) for cb in hooks]  # every callback sees every epoch
            if any(s is True or s is np.True_ for s in stop) or model.stop_training:
                break
    finally:
        bar.close()
    for cb in hooks:
        cb.on_train_end(dict(logs))
    history.params = params
    return history
