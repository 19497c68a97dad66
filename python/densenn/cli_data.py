"""Reading the command line's data files (CSV with a header row, or NPZ) into arrays, with clear errors.

CSV: comma-separated, UTF-8, a first row of column names; every feature cell a finite number
(no missing values). NPZ (``np.savez``): the features in an array ``x`` (or ``X``), 2-D
``(rows, features)`` or 1-D for one feature, and the target in ``y`` (or ``Y``) or the array
``--target`` names. Anything else raises ``DataError`` with a message meant for the user.
"""

from __future__ import annotations

import csv
import os
import zipfile
from dataclasses import dataclass

import numpy as np


class DataError(ValueError):
    """A data file that cannot be used as it is; the message says where and why."""


@dataclass
class Columns:
    """A data file as read: named columns, raw (the cells as strings for CSV, arrays for NPZ)."""

    path: str
    kind: str  # "csv" or "npz"
    names: list[str]
    values: dict  # name -> tuple[str, ...] (CSV) or np.ndarray (NPZ)
    lines: list[int]  # CSV: the file line of each row, for messages

    @property
    def rows(self) -> int:
        """The number of data rows (CSV) or of samples in the feature array (NPZ)."""
        if self.kind == "csv":
            return len(self.lines)
        return len(self.values[feature_key(self)])


def read_columns(path) -> Columns:
    """The columns of a CSV or NPZ file, told apart by content (an NPZ is a zip archive)."""
    path = os.fspath(path)
    with open(path, "rb") as f:  # FileNotFoundError / IsADirectoryError reach the caller as OSError
        start = f.read(4096)
    if start.startswith((b"PK\x03\x04", b"PK\x05\x06")):  # a zip archive, as np.savez writes
        return _read_npz(path)
    if start.startswith(b"\x93NUMPY"):
        raise DataError(f"{path}: a .npy array; save x and y together with np.savez(path, x=x, y=y)")
    if b"\0" in start:  # text never holds NUL bytes; model files and other binaries soon do
        raise DataError(f"{path}: neither a CSV text file nor an NPZ archive (it holds binary data)")
    return _read_csv(path)


def _read_csv(path: str) -> Columns:
    # Cells stay as read (NumPy's and float()'s number parsing skip surrounding spaces); only the
    # header and the cells of error messages and class names are stripped.
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f, skipinitialspace=True)  # a, "b, c" is two cells
            table, lines = [], []
            for row in reader:
                if len(row) > 1 or (row and row[0].strip()):  # blank lines (e.g. trailing ones) are skipped
                    table.append(row)
                    lines.append(reader.line_num)
    except UnicodeDecodeError:
        raise DataError(f"{path}: neither a CSV text file (UTF-8) nor an NPZ archive") from None
    except csv.Error as e:
        raise DataError(f"{path}: line {reader.line_num}: {e}") from None
    if not table:
        raise DataError(f"{path}: the file is empty; expected a header row of column names, then data rows")
    header, rows, lines = [name.strip() for name in table[0]], table[1:], lines[1:]
    if any(not name for name in header):
        raise DataError(f"{path}: the header row has an empty column name (column {header.index('') + 1})")
    if all(_is_number(name) for name in header):
        raise DataError(
            f"{path}: the first row must name the columns, got numbers ({', '.join(header[:4])}...)"
        )
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise DataError(f"{path}: the header names a column more than once: {', '.join(duplicates)}")
    if not rows:
        raise DataError(f"{path}: no data rows after the header")
    for row, line in zip(rows, lines):
        if len(row) != len(header):
            raise DataError(f"{path}: line {line} has {len(row)} cells, the header has {len(header)} columns")
    values = dict(zip(header, zip(*rows)))  # name -> the column's cells (a tuple of strings)
    return Columns(path, "csv", header, values, lines)


def _read_npz(path: str) -> Columns:
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise DataError(f"{path}: not a readable NPZ archive ({e})") from None
    except ValueError as e:  # object arrays need pickle, which is never enabled for data files
        raise DataError(f"{path}: an array in the NPZ cannot be read without pickle ({e})") from None
    if not arrays:
        raise DataError(f"{path}: the NPZ archive holds no arrays")
    columns = Columns(path, "npz", list(arrays), arrays, [])
    feature_key(columns)  # every use of an NPZ needs its features: check for them once, here
    return columns


def feature_key(columns: Columns) -> str:
    """The NPZ array holding the features: ``x``, else ``X``."""
    for key in ("x", "X"):
        if key in columns.values:
            return key
    raise DataError(f"{columns.path}: the NPZ has no features array 'x'; it holds {_listing(columns.names)}")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _listing(names) -> str:
    names = list(names)
    shown = ", ".join(repr(n) for n in names[:20])
    return shown + (f" and {len(names) - 20} more" if len(names) > 20 else "")


def _numbers(columns: Columns, name: str) -> np.ndarray:
    """A CSV column as float64, or DataError naming the first cell that is not a finite number."""
    cells = columns.values[name]
    try:
        values = np.array(cells, dtype=np.float64)
    except ValueError:
        values = None
    if values is not None and np.all(np.isfinite(values)):
        return values
    for i, cell in enumerate(cells):
        cell = cell.strip()
        where = f"{columns.path}: line {columns.lines[i]}, column {name!r}"
        if not cell:
            raise DataError(f"{where}: empty cell (missing values are not supported)")
        if not _is_number(cell):
            raise DataError(f"{where}: {cell!r} is not a number")
        if not np.isfinite(float(cell)):
            raise DataError(f"{where}: {cell!r} is not a finite number")
    if values is None:  # a spelling float() reads and NumPy does not
        values = np.array([float(cell) for cell in cells], dtype=np.float64)
    return values


def _numeric_array(columns: Columns, key: str, what: str) -> np.ndarray:
    arr = columns.values[key]
    if arr.dtype.kind not in "biuf":
        raise DataError(f"{columns.path}: the {what} array {key!r} must hold numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise DataError(f"{columns.path}: the {what} array {key!r} holds NaN or infinite values")
    return arr


@dataclass
class Dataset:
    """Features and target read for training."""

    x: np.ndarray  # (rows, features) float64
    y: np.ndarray  # (rows,) float64 or str (class names), or (rows, outputs) float64 (NPZ)
    features: list[str] | None  # CSV column names; None for NPZ (its features have no names)
    target: str
    numeric_target: bool


def training_data(path, target: str | None = None, task: str | None = None) -> Dataset:
    """Features and target of a data file; the target is the last CSV column or NPZ ``y`` by default.

    A CSV target whose cells are all numbers is returned as float64, one of words (class names)
    as strings. Words are refused (``DataError`` naming the first) for ``task="regression"``,
    and, unless ``task="classification"``, when other cells of the target are numbers.
    """
    columns = read_columns(path)
    if columns.kind == "npz":
        return _npz_training_data(columns, target, task)
    if target is None:
        target = columns.names[-1]
    if target not in columns.names:
        raise DataError(f"{columns.path}: no column {target!r}; the columns are {_listing(columns.names)}")
    features = [name for name in columns.names if name != target]
    if not features:
        raise DataError(f"{columns.path}: no feature columns: the only column is the target {target!r}")
    x = np.column_stack([_numbers(columns, name) for name in features])
    cells = [cell.strip() for cell in columns.values[target]]
    words = [i for i, cell in enumerate(cells) if not _is_number(cell)]
    if not words:
        return Dataset(x, _numbers(columns, target), features, target, True)
    first = f"line {columns.lines[words[0]]}, column {target!r}: {cells[words[0]]!r}"
    if "" in cells:
        i = cells.index("")
        raise DataError(
            f"{columns.path}: line {columns.lines[i]}, column {target!r}: empty cell (missing target)"
        )
    if task == "regression":
        raise DataError(f"{columns.path}: {first} is not a number (regression needs a numeric target)")
    if len(words) < len(cells) and task != "classification":
        raise DataError(
            f"{columns.path}: {first} is not a number, though other cells of the target are "
            f"(use --task classification to read them all as class names)"
        )
    return Dataset(x, np.array(cells, dtype=str), features, target, False)


def _npz_training_data(columns: Columns, target: str | None, task: str | None) -> Dataset:
    key = feature_key(columns)
    if target is None:
        target = next((k for k in ("y", "Y") if k in columns.values), "y")
    if target not in columns.values:
        raise DataError(f"{columns.path}: no array {target!r} in the NPZ; it holds {_listing(columns.names)}")
    if target == key:
        raise DataError(f"{columns.path}: the target {target!r} is the features array")
    x = _feature_matrix(columns, key)
    y = columns.values[target]
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim not in (1, 2) or len(y) != len(x):
        raise DataError(
            f"{columns.path}: the target {target!r} must have one row per row of {key!r} ({len(x)}), "
            f"got shape {y.shape}"
        )
    if y.dtype.kind in "US":
        if task == "regression":
            raise DataError(f"{columns.path}: the target {target!r} holds text; regression needs numbers")
        if y.ndim != 1:
            raise DataError(f"{columns.path}: class names in {target!r} must form a 1-D array")
        return Dataset(x, y.astype(str), None, target, False)
    return Dataset(x, _numeric_array(columns, target, "target"), None, target, True)


def _feature_matrix(columns: Columns, key: str) -> np.ndarray:
    x = _numeric_array(columns, key, "features")
    if x.ndim == 1:
        x = x.reshape(-1, 1)
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise DataError(
            f"{columns.path}: the features {key!r} must be a 2-D (rows, features) array, got {x.shape}"
        )
    return x


def prediction_inputs(path, features: list[str] | None = None, exclude: str | None = None) -> np.ndarray:
    """The (rows, features) float64 inputs of a data file, for predicting.

    CSV: the columns named in ``features``, in that order (other columns, the target's among
    them, are ignored), or when ``features`` is None every column but ``exclude``. NPZ: ``x``.
    """
    columns = read_columns(path)
    if columns.kind == "npz":
        return _feature_matrix(columns, feature_key(columns))
    if features is None:
        features = [name for name in columns.names if name != exclude]
    missing = [name for name in features if name not in columns.names]
    if missing:
        raise DataError(
            f"{columns.path}: missing the feature columns {_listing(missing)} the model was trained on; "
            f"the columns are {_listing(columns.names)}"
        )
    if not features:
        raise DataError(f"{columns.path}: no feature columns")
    return np.column_stack([_numbers(columns, name) for name in features])
