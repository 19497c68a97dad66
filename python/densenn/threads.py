"""Threads: how many the C++ kernels may use, and the lock that serializes calls on one object."""

from __future__ import annotations

import functools

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


def serialized(method):
    """Runs ``method`` holding ``self._lock`` (an RLock): calls on one layer, model or loss from
    several threads take turns, so the Python-side state and the C++ state change together."""

    @functools.wraps(method)
    def locked(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)

    return locked
