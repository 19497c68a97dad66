"""The number of threads densenn's C++ kernels may use."""

from __future__ import annotations

import operator

from . import _core


def set_num_threads(n: int) -> None:
    """Use up to ``n`` threads (``n >= 1``) in later calls.

    Results are bitwise the same for any ``n``: work is split by output rows, never inside a sum.
    Small problems run on the calling thread whatever ``n`` is.
    """
    try:
        n = operator.index(n)
    except TypeError as e:
        raise TypeError(f"number of threads must be an integer, got {type(n).__name__}") from e
    if n < 1:
        raise ValueError(f"number of threads must be at least 1, got {n}")
    _core.set_num_threads(min(n, 1024))


def get_num_threads() -> int:
    """The number of threads densenn's kernels may use (default: the CPU's hardware threads, at most 8)."""
    return _core.get_num_threads()
