"""``python -m densenn train`` and ``predict``: a network trained on a CSV or NPZ file, and its predictions.

``train`` reads the data (densenn.cli_data), decides classification or regression from the
target, standardizes the features (and a regression target) with the training rows' mean and
standard deviation, trains with ``fit`` and then folds the standardization into the first and
last Dense layers, so the saved .safetensors file maps raw inputs to raw outputs and ``dn.load``
needs nothing else. What the weights cannot hold (the feature column names, the task, the class
names) goes into a small JSON file next to the model, ``<model>.json``, which ``predict`` reads.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import warnings

import numpy as np

from ._convert import check_int
from .cli_data import DataError, prediction_inputs, training_data
from .layers import Dense, LeakyReLU, ReLU, Sigmoid, Tanh
from .losses import MSELoss, SoftmaxCrossEntropyLoss
from .sequential import Sequential
from .training import check_batch_size

ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "leaky_relu": LeakyReLU}
MAX_CLASSES = 20  # a numeric target with at most this many whole-number values is read as class labels
SIDECAR_FORMAT = "densenn-cli-model/1"


def sidecar_path(model_path) -> str:
    """Where ``train`` writes the feature names, task and classes of ``model_path``: beside it, + ".json"."""
    return os.fspath(model_path) + ".json"


# ---- the task -------------------------------------------------------------------------------------------


def detect_task(y: np.ndarray) -> tuple[str, str]:
    """("classification" or "regression", why): class names, or few whole numbers, are classes."""
    if y.dtype.kind in "US":
        return "classification", "the target holds names"
    if y.ndim == 2:
        return "regression", f"the target has {y.shape[1]} columns"
    distinct = np.unique(y)
    if (
        np.all(distinct == np.round(distinct))
        and len(distinct) <= MAX_CLASSES
        and 2 * len(distinct) <= len(y)
    ):
        return "classification", f"the target holds {len(distinct)} distinct whole numbers"
    return "regression", "the target holds numbers that are not a few whole values"


def encode_classes(y: np.ndarray) -> tuple[np.ndarray, list]:
    """(labels 0..k-1 as int64, the k class values sorted): how scikit-learn's classes_ work."""
    classes, labels = np.unique(y, return_inverse=True)
    if classes.dtype.kind in "US":
        names = [str(c) for c in classes]
    else:  # JSON numbers; whole ones print back as integers ("3", not "3.0")
        names = [int(c) if c == np.round(c) else float(c) for c in classes]
    return labels.reshape(-1).astype(np.int64), names


# ---- the network ------------------------------------------------------------------------------------------


def build_model(inputs: int, hidden, outputs: int, activation="relu", dtype=np.float32, seed=0) -> Sequential:
    """Dense layers of the given widths with ``activation`` between them (none after the last)."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    widths = [inputs, *hidden, outputs]
    layers = []
    for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
        if i:
            layers.append(ACTIVATIONS[activation]())
        layers.append(Dense(n_in, n_out, dtype=dtype, seed=seed + i))
    return Sequential(*layers)


def fold_standardization(model: Sequential, x_mean, x_std, y_mean=None, y_std=None) -> None:
    """Makes ``model`` take raw inputs (and give raw targets) instead of standardized ones, exactly.

    A model trained on ``(x - x_mean) / x_std`` computes ``W (x - m) / s + b`` in its first
    layer, which is ``W' x + b'`` with ``W' = W / s`` and ``b' = b - W' m``; likewise a last layer
    trained on ``(y - y_mean) / y_std`` becomes ``W' = y_std W``, ``b' = y_std b + y_mean``.
    """
    dense = [layer for layer in model if isinstance(layer, Dense)]
    first, last = dense[0], dense[-1]
    weight = first.weight.astype(np.float64) / x_std
    bias = first.bias.astype(np.float64) - weight @ x_mean
    first.weight[...], first.bias[...] = weight, bias
    if y_mean is not None:
        weight = last.weight.astype(np.float64) * y_std[:, None]
        bias = last.bias.astype(np.float64) * y_std + y_mean
        last.weight[...], last.bias[...] = weight, bias


def _mean_std(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    std = a.std(axis=0)
    return a.mean(axis=0), np.where(std > 0, std, 1.0)  # a constant column is only centred


def _regression_metrics(model, x, y) -> dict[str, float]:
    pred = model.predict(x, batch_size=8192).astype(np.float64)
    error = np.sum((pred - y) ** 2, axis=0)
    spread = np.sum((y - y.mean(axis=0)) ** 2, axis=0)
    metrics = {"mse": float(error.sum() / y.size)}
    if np.all(spread > 0):  # R² (scikit-learn's, averaged over outputs) needs a target that varies
        metrics["r2"] = float(np.mean(1.0 - error / spread))
    return metrics


# ---- train ------------------------------------------------------------------------------------------------


def train(
    data,
    *,
    target=None,
    task=None,
    hidden=(64, 64),
    activation="relu",
    epochs=100,
    batch_size=32,
    lr=None,
    optimizer="adam",
    validation_split=0.0,
    seed=0,
    out="model.safetensors",
    dtype=np.float32,
    progress=True,
    file=None,
) -> dict:
    """Trains a network on a CSV or NPZ file, saves it to ``out`` (and ``out + ".json"``), reports.

    Returns ``{"task", "classes", "features", "train": metrics, "validation": metrics or None,
    "model": the trained Sequential}``; the metrics are those of the saved model (loss and
    accuracy for classification, mse and r2 for regression, in the target's own units).
    """
    report = sys.stdout if file is None else file
    if task not in (None, "classification", "regression"):
        raise ValueError(f"task must be 'classification' or 'regression', got {task!r}")
    epochs, batch_size = check_int(epochs, "--epochs"), check_batch_size(batch_size, "--batch-size")
    if epochs < 0:
        raise ValueError(f"--epochs must be >= 0, got {epochs}")
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"--validation-split must be in [0, 1), got {validation_split}")
    folder = os.path.dirname(os.path.abspath(os.fspath(out)))
    if not os.path.isdir(folder):  # found now, not after a long training
        raise ValueError(f"cannot save the model to {os.fspath(out)}: no folder {folder}")
    if os.path.isdir(os.fspath(out)):
        raise ValueError(
            f"cannot save the model to {os.fspath(out)}: it is a folder (give a file name in it)"
        )
    dataset = training_data(data, target, task)
    x, y = dataset.x, dataset.y
    detected, why = detect_task(y)
    if task is None:
        task = detected
        if task == "classification" and y.dtype.kind in "US":
            distinct = len(np.unique(y))
            if distinct > MAX_CLASSES and 2 * distinct > len(y):
                raise DataError(
                    f"the target {dataset.target!r} holds {distinct} different names in {len(y)} rows: it "
                    f"looks like an identifier, not class labels (choose another with --target, or insist "
                    f"with --task classification)"
                )
    else:
        why = "--task"
    if task == "classification":
        if y.ndim != 1:
            raise DataError(
                f"classification needs one label per row; the target {dataset.target!r} is {y.shape}"
            )
        labels, classes = encode_classes(y)
        if len(classes) < 2:
            raise DataError(
                f"the target {dataset.target!r} holds one class only ({classes[0]}): nothing to learn"
            )
        targets, outputs = labels, len(classes)
    else:
        classes = None
        targets = y.reshape(len(y), -1)
        outputs = targets.shape[1]

    if lr is None:
        lr = 0.01 if optimizer == "sgd" else 1e-3  # fit's defaults, named here for the report
    rng = np.random.default_rng(seed)
    n = len(x)
    n_train = int(n * (1.0 - validation_split))
    if validation_split > 0 and (n_train == 0 or n_train == n):
        raise ValueError(
            f"--validation-split {validation_split} of {n} rows leaves no training or validation rows"
        )
    order = rng.permutation(n) if validation_split > 0 else np.arange(n)  # a random held-out part
    train_rows, val_rows = order[:n_train], order[n_train:]
    x_mean, x_std = _mean_std(x[train_rows])
    if task == "regression":
        y_mean, y_std = _mean_std(targets[train_rows])
        scaled = (targets - y_mean) / y_std
        loss = MSELoss()
    else:
        y_mean = y_std = None
        scaled = targets
        loss = SoftmaxCrossEntropyLoss()
    x_scaled = (x - x_mean) / x_std

    model = build_model(x.shape[1], hidden, outputs, activation, dtype, seed)
    names = "" if dataset.features is None else f" ({_shorten(dataset.features)})"
    print(
        f"data: {os.fspath(data)}: {n} rows, {x.shape[1]} features{names}, target {dataset.target!r}",
        file=report,
    )
    if task == "classification":
        print(f"task: classification of {len(classes)} classes ({_shorten(classes)}); {why}", file=report)
    else:
        print(f"task: regression; {why}", file=report)
    layers = " - ".join(_describe(layer) for layer in model)
    print(
        f"model: {layers}, {model.dtype.name}; {optimizer} lr={lr}, {epochs} epochs, batch {batch_size}",
        file=report,
    )
    validation = None if len(val_rows) == 0 else (x_scaled[val_rows], scaled[val_rows])
    report.flush()
    model.fit(
        x_scaled[train_rows],
        scaled[train_rows],
        loss=loss,
        optimizer=optimizer,
        lr=lr,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=validation,
        seed=seed,
        progress=progress,
    )
    fold_standardization(model, x_mean, x_std, y_mean, y_std)

    results = {"task": task, "classes": classes, "features": dataset.features, "model": model}
    for part, rows in (("train", train_rows), ("validation", val_rows)):
        if len(rows) == 0:
            results[part] = None
            continue
        if task == "classification":
            metrics = model.evaluate(x[rows], targets[rows], SoftmaxCrossEntropyLoss(), batch_size=8192)
        else:
            metrics = _regression_metrics(model, x[rows], targets[rows])
        results[part] = metrics
        values = ", ".join(f"{key} {value:.4f}" for key, value in metrics.items())
        print(f"{'training' if part == 'train' else part}: {values} ({len(rows)} rows)", file=report)

    model.save(out)
    sidecar = {
        "format": SIDECAR_FORMAT,
        "task": task,
        "features": dataset.features,
        "target": dataset.target,
        "outputs": outputs,
        "classes": classes,
    }
    with open(sidecar_path(out), "w", encoding="utf-8") as f:
        json.dump(sidecar, f, indent=1)
        f.write("\n")
    print(f"saved: {os.fspath(out)} (and {sidecar_path(out)}: columns, task, classes)", file=report)
    return results


def _describe(layer) -> str:
    if isinstance(layer, Dense):
        return f"Dense({layer.in_features}, {layer.out_features})"
    return type(layer).__name__


def _shorten(items, limit=8) -> str:
    items = [str(item) for item in items]
    return ", ".join(items[:limit]) + (f", ... {len(items) - limit} more" if len(items) > limit else "")


# ---- predict ----------------------------------------------------------------------------------------------


def read_sidecar(model_path, model) -> dict | None:
    """The JSON ``train`` wrote beside ``model_path``, checked against ``model``; None when there is none."""
    path = sidecar_path(model_path)
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            info = json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DataError(f"{path}: not the JSON file densenn train writes ({e})") from None
    if not isinstance(info, dict) or info.get("format") != SIDECAR_FORMAT:
        raise DataError(f"{path}: not the JSON file densenn train writes (format {SIDECAR_FORMAT})")
    features, classes = info.get("features"), info.get("classes")
    fits = (
        info.get("task") in ("classification", "regression")
        and info.get("outputs") == model.out_features
        and (features is None or (isinstance(features, list) and len(features) == model.in_features))
        and (classes is None or (isinstance(classes, list) and len(classes) == model.out_features))
    )
    if not fits:
        raise DataError(
            f"{path} does not describe the model in {os.fspath(model_path)}: delete it, or train again"
        )
    return info


def predict(model_path, data, *, target=None, task=None, probabilities=False) -> tuple[list[str], list[list]]:
    """(column names, rows): the predictions of a saved model for a CSV or NPZ file.

    With the JSON file ``train`` wrote beside the model, the inputs are the CSV columns the model
    was trained on, by name, and classifiers give back the class names. Without it (a model saved
    from Python), the inputs are every column but ``target``, and a model with more than one
    output is taken for a classifier (the index of the largest output) unless ``task`` says
    ``"regression"``. ``probabilities`` gives the class probabilities instead of the class.
    """
    from .model_file import load

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = load(model_path)
        except ValueError as e:
            raise DataError(f"{os.fspath(model_path)}: not a densenn model file that loads: {e}") from None
    for warning in caught:
        print(f"densenn predict: warning: {warning.message}", file=sys.stderr)
    info = read_sidecar(model_path, model)
    if task is None:
        task = info["task"] if info else ("classification" if model.out_features > 1 else "regression")
    if probabilities and task != "classification":
        raise ValueError("--probabilities needs a classifier (--task classification)")
    features = info["features"] if info else None
    exclude = target if target is not None or not info else info["target"]
    try:
        x = prediction_inputs(data, features, exclude)
    except DataError as e:
        if features is not None or target is not None or "not a number" not in str(e):
            raise
        raise DataError(f"{e} (--target NAME leaves the target column out)") from None
    if x.shape[1] != model.in_features:
        hint = "" if info else " (--target NAME leaves the target column out)"
        raise DataError(
            f"the model takes {model.in_features} features, {os.fspath(data)} gives {x.shape[1]}{hint}"
        )
    outputs = model.predict(x, batch_size=8192)
    width = outputs.shape[1]
    name = (info or {}).get("target") or "prediction"
    if task == "regression":
        header = [name] if width == 1 else [f"{name}_{i}" for i in range(width)]
        return header, [[str(v) for v in row] for row in outputs]
    classes = (info or {}).get("classes") or list(range(max(width, 2)))
    if width == 1:  # one logit: a binary classifier (BCEWithLogitsLoss), class 1 when it is positive
        chances = 1.0 / (1.0 + np.exp(-outputs.astype(np.float64)))
        chances = np.column_stack([1.0 - chances[:, 0], chances[:, 0]])
    else:
        shifted = np.exp(outputs.astype(np.float64) - outputs.max(axis=1, keepdims=True))
        chances = shifted / shifted.sum(axis=1, keepdims=True)
    if probabilities:
        return [str(c) for c in classes], [[f"{p:.6g}" for p in row] for row in chances]
    return [name], [[str(classes[i])] for i in chances.argmax(axis=1)]


# ---- the subcommands ---------------------------------------------------------------------------------------


def _hidden(text: str) -> tuple[int, ...]:
    if text.strip() in ("", "0", "none"):
        return ()
    try:
        widths = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected widths such as 64,64, got {text!r}") from None
    if any(w < 1 for w in widths):
        raise argparse.ArgumentTypeError(f"layer widths must be >= 1, got {text!r}")
    return widths


def add_parser(subparsers) -> None:
    """The ``train`` and ``predict`` subcommands of ``python -m densenn``."""
    parser = subparsers.add_parser(
        "train",
        help="train a network on a CSV or NPZ file and save it",
        description="Trains a dense network on DATA and saves it as a .safetensors model (dn.load reads "
        "it) plus MODEL.json holding the feature columns, the task and the class names. DATA is a CSV "
        "file with a header row of column names (comma-separated, numbers only in the feature columns, "
        "no empty cells) or an NPZ archive (np.savez) with the features in x and the target in y. "
        "Classification or regression follows from the target: names, or at most 20 distinct whole "
        "numbers making at most half the rows, are class labels; anything else is regressed (--task "
        "overrides). Features, and a regression target, are standardized with the training rows' mean "
        "and standard deviation; the saved model has this folded into its weights, so it takes raw "
        "inputs and gives raw outputs. The per-epoch progress values are on the standardized target; "
        "the final figures printed are those of the saved model, in the target's units.",
    )
    parser.add_argument("data", metavar="DATA", help="a CSV file with a header row, or an NPZ with x and y")
    parser.add_argument(
        "--target", help="the target column (CSV; default: the last column) or array (NPZ; default: y)"
    )
    parser.add_argument(
        "--task", choices=("classification", "regression"), help="instead of deciding from the target"
    )
    parser.add_argument(
        "--hidden", type=_hidden, default=(64, 64), help='hidden layer widths (default 64,64; "" for none)'
    )
    parser.add_argument("--activation", choices=sorted(ACTIVATIONS), default="relu", help="(default relu)")
    parser.add_argument("--epochs", type=int, default=100, help="passes over the training rows (default 100)")
    parser.add_argument("--batch-size", type=int, default=32, help="rows per step (default 32)")
    parser.add_argument(
        "--lr", type=float, help="learning rate (default 0.001 for adam and adamw, 0.01 for sgd)"
    )
    parser.add_argument(
        "--optimizer", choices=("adam", "adamw", "sgd"), default="adam", help="(default adam)"
    )
    parser.add_argument(
        "--validation-split",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="hold out this random fraction of the rows (drawn from --seed) and report on it (default 0)",
    )
    parser.add_argument("--seed", type=int, default=0, help="weights, split and shuffling seed (default 0)")
    parser.add_argument(
        "--out", default="model.safetensors", help="the model file to write (default model.safetensors)"
    )
    parser.add_argument("--float64", action="store_true", help="train in float64 (default float32)")
    parser.add_argument("--no-progress", action="store_true", help="no per-epoch progress on stderr")
    parser.set_defaults(func=_run, command=_train)

    parser = subparsers.add_parser(
        "predict",
        help="print a saved model's predictions for a CSV or NPZ file",
        description="Prints the predictions of MODEL for each row of DATA, one line per row (or writes "
        "them to --out as CSV with a header). With the MODEL.json that train writes, DATA's columns are "
        "picked by name (the target and other extra columns are ignored) and classifiers print class "
        "names. Without it (a model saved from Python), every column but --target is an input, and a "
        "model with several outputs is taken for a classifier printing the index of the largest output; "
        "--task regression prints the outputs themselves.",
    )
    parser.add_argument("model", metavar="MODEL", help="a .safetensors model file (from train or model.save)")
    parser.add_argument("data", metavar="DATA", help="a CSV file with a header row, or an NPZ with x")
    parser.add_argument(
        "--target", help="a CSV column to leave out of the inputs (when MODEL.json is absent)"
    )
    parser.add_argument(
        "--task",
        choices=("classification", "regression"),
        help="how to read the outputs (default: MODEL.json)",
    )
    parser.add_argument(
        "--probabilities", action="store_true", help="classifiers: the probability of each class instead"
    )
    parser.add_argument("--out", help="write the predictions to this CSV file instead of printing them")
    parser.set_defaults(func=_run, command=_predict)


def _train(args) -> int:
    train(
        args.data,
        target=args.target,
        task=args.task,
        hidden=args.hidden,
        activation=args.activation,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        optimizer=args.optimizer,
        validation_split=args.validation_split,
        seed=args.seed,
        out=args.out,
        dtype=np.float64 if args.float64 else np.float32,
        progress=not args.no_progress,
    )
    return 0


def _predict(args) -> int:
    header, rows = predict(
        args.model, args.data, target=args.target, task=args.task, probabilities=args.probabilities
    )
    if args.out is None:
        csv.writer(sys.stdout, lineterminator="\n").writerows(rows)
        return 0
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    print(f"wrote {len(rows)} predictions to {args.out}")
    return 0


def _run(args) -> int:
    """Runs a subcommand; a user's mistake becomes one line on stderr and exit code 2, not a traceback."""
    name = args.command.__name__.strip("_")
    try:
        return args.command(args)
    except BrokenPipeError:  # the reader went away (e.g. `| head`): as Python's docs advise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as e:
        where = f"{e.filename}: " if e.filename else ""
        print(f"densenn {name}: error: {where}{e.strerror or e}", file=sys.stderr)
    except ValueError as e:  # DataError, and fit's and load's checks
        print(f"densenn {name}: error: {e}", file=sys.stderr)
    return 2
