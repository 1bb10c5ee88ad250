"""Keeping the server's memory near its baseline, through glibc where it is available.

Both functions are no-ops on a C library without these calls (musl, macOS).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc

M_ARENA_MAX = -8  # mallopt() parameter, from glibc's malloc.h


@functools.cache
def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def _glibc_call(name: str, *args: int) -> None:
    function = getattr(_libc(), name, None)
    if function is not None:
        function(*args)


def limit_malloc_arenas() -> None:
    """Cap glibc's malloc arenas at two per process.

    Each thread that allocates (gunicorn's own, Python's) may otherwise get an arena of its
    own, and memory freed in one cannot serve another, so a worker could hold several
    high-water marks at once. Forked workers inherit the setting.
    """
    _glibc_call("mallopt", M_ARENA_MAX, 2)


def freeze_heap() -> None:
    """Move every object alive now out of the garbage collector's sight, for good.

    Called once the server has loaded its code and compiled its templates, before it forks:
    a full collection after a big render then walks only what the worker created since (a
    third of a big poll's render time went to walking Django's modules, templates and
    translations), and the collector no longer writes to the shared pages' object headers,
    so they stay shared between the workers. No collection first: at that point it finds a
    few hundred objects and costs the start-up tens of milliseconds.
    """
    gc.freeze()


def release_memory() -> None:
    """Hand the memory of a big piece of work back to the system.

    Rendering a poll with thousands of answers builds hundreds of thousands of short-lived
    objects; without this each worker would keep that peak for the rest of its life.
    """
    gc.collect()
    _glibc_call("malloc_trim", 0)
