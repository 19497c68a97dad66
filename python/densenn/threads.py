"""The number of threads densenn's C++ kernels may use."""

from __future__ import annotations

from . import _core
from ._convert import check_int


def set_num_threads(n: int) -> None:
    """Use up to ``n`` threads (``n >= 1``) in later calls.

    Results are bitwise the same for any ``n``: work is split by output rows, never inside a sum.
    Small problems run on the calling thread whatever ``n`` is.
    """
    n = check_int(n, "number of threads")
    if n < 1:
        raise ValueError(f"number of threads must be at least 1, got {n}")
    _core.set_num_threads(min(n, 1024))


def get_num_threads() -> int:
    """The number of threads densenn's kernels may use (default: the CPU's hardware threads, at most 8)."""
    return _core.get_num_threads()
