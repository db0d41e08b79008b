"""How the ``numba`` backend compiles (the ``fast`` extra): one decorator for every kernel.

Compiled code is cached on disk where numba finds a writable place (beside the source, else the
user's cache directory), so only a first run compiles; where it finds none, numba refuses to
cache, and each process compiles for itself instead of failing.
"""

from __future__ import annotations

from numba import njit


def jit(function):
    try:
        return njit(cache=True, nogil=True)(function)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return njit(nogil=True)(function)
