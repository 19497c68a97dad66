"""Turning what users pass (arrays, lists, scalars) into what the C++ core accepts, or a clear error."""

from __future__ import annotations

import math
import numbers
import operator

import numpy as np

# dtype kinds that convert to floating point exactly as NumPy does: bool, signed, unsigned, float.
_REAL_KINDS = "biuf"


def resolve_dtype(dtype) -> np.dtype:
    """np.float32 or np.float64 from anything NumPy reads as a dtype ("float64", np.float32, float),
    or from torch.float32 / torch.float64.

    None is float32, PyTorch's default dtype (NumPy would read it as float64).
    """
    if dtype is None:
        return np.dtype(np.float32)
    if type(dtype).__name__ == "dtype" and type(dtype).__module__ == "torch":  # torch.float64 -> "float64"
        dtype = str(dtype).removeprefix("torch.")
    try:
        resolved = np.dtype(dtype)
    except TypeError as e:
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}") from e
    if resolved not in (np.float32, np.float64):
        raise TypeError(f"dtype must be float32 or float64, got {resolved}")
    return resolved


def as_numeric_array(x, name: str) -> np.ndarray:
    """x as an ndarray of a real dtype (no copy when it already is one); TypeError otherwise."""
    if type(x) is np.ndarray and x.dtype.kind in _REAL_KINDS:
        return x
    if hasattr(x, "detach") and hasattr(x, "numpy"):  # a torch.Tensor, possibly requiring grad
        x = x.detach().cpu()
        if str(x.dtype) == "torch.bfloat16":  # NumPy has no bfloat16; float32 holds each value exactly
            x = x.float()
        x = x.numpy()
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as e:
        raise type(e)(f"{name}: cannot be read as a numeric array ({e})") from e
    if arr.dtype.kind not in _REAL_KINDS:
        raise TypeError(f"{name} must hold real numbers, got an array of dtype {arr.dtype}")
    return arr


def as_float_array(x, dtype=None, name: str = "x") -> np.ndarray:
    """x as a C-contiguous 1-D or 2-D array of `dtype`, copied only when needed.

    With dtype None, float32 input stays float32 and everything else becomes float64 (as NumPy's
    ufuncs promote). Strided, Fortran-order, unaligned and read-only arrays are read correctly (the
    core only reads its inputs, so the caller's own array is passed on when it already fits).
    """
    if type(x) is np.ndarray and x.dtype == dtype and 1 <= x.ndim <= 2 and x.flags.carray:
        return x  # the common case, kept cheap: nothing to check or convert
    arr = as_numeric_array(x, name)
    if arr.ndim == 0 or arr.ndim > 2:
        raise ValueError(f"{name} must be 1-D (features,) or 2-D (batch, features), got shape {arr.shape}")
    if dtype is None:
        dtype = np.float32 if arr.dtype == np.float32 else np.float64
    return contiguous(arr, dtype)


def as_default_float_array(x, name: str = "x") -> np.ndarray:
    """x as ``as_float_array`` gives it, in the dtype of ``torch.as_tensor(x)`` as a layer computes it.

    A float64 (or wider: long double) array or tensor is computed in float64; everything else
    (lists, Python numbers, integers, bool, float16, float32) in float32, PyTorch's default dtype.
    """
    arr = as_numeric_array(x, name)  # a torch tensor becomes an array of its own dtype here
    wide = arr.dtype.kind == "f" and arr.dtype.itemsize >= 8
    keep = wide and hasattr(x, "dtype")  # a list of floats has no dtype of its own
    return as_float_array(arr, np.float64 if keep else np.float32, name)


def contiguous(arr: np.ndarray, dtype) -> np.ndarray:
    """arr as a C-contiguous, aligned array of dtype: itself when it already is one, else a copy."""
    if arr.dtype == dtype and arr.flags.carray:
        return arr
    return np.require(arr, dtype=dtype, requirements="CA")


def as_matrix(arr: np.ndarray) -> np.ndarray:
    """A 1-D array as one row (1, n); 2-D arrays as they are."""
    return arr.reshape(1, -1) if arr.ndim == 1 else arr


def real_scalar(value, name: str) -> float:
    """A real number as a float: a Python or NumPy number, a 0-d real array or a 0-d torch tensor
    (as torch.optim takes); TypeError for anything else, bools included."""
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch.Tensor
        value = as_numeric_array(value, name)
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.ndarray)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if isinstance(value, np.ndarray):
        if value.ndim != 0 or value.dtype.kind not in "iuf":
            raise TypeError(
                f"{name} must be a real number, got an array of shape {value.shape} and dtype {value.dtype}"
            )
        value = value.item()
    return float(value)


def check_lr(lr) -> float:
    """A learning rate as a float: a real number, finite and not negative (as torch.optim requires)."""
    if type(lr) is float and 0.0 <= lr < math.inf:
        return lr
    value = real_scalar(lr, "lr")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"Invalid learning rate: {value} (must be finite and >= 0)")
    return value


def check_int(value, name: str) -> int:
    """An integer (not a bool), else TypeError."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got bool")
    try:
        return operator.index(value)
    except TypeError as e:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}") from e


def check_size(value, name: str) -> int:
    """A layer size: an integer >= 1 that the C++ core can index."""
    size = check_int(value, name)
    if size <= 0:
        raise ValueError(f"{name} must be positive, got {size}")
    if size >= 2**62:
        raise ValueError(f"{name} = {size} is too large")
    return size


def shape_mismatch(what: str, expected, got) -> ValueError:
    """The ValueError for a wrong shape, naming both shapes."""
    return ValueError(f"{what}: expected shape {expected}, got {tuple(got)}")


def check_real(value, name: str):
    """A real number (not a bool), else TypeError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    return value
