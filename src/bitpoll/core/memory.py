"""Keeping the server's memory near its baseline, through glibc where it is available.

Both functions are no-ops on a C library without these calls (musl, macOS).
"""

from __future__ import annotations

import ctypes
import functools
import gc

M_ARENA_MAX = -8  # mallopt() parameter, from glibc's malloc.h


@functools.cache
def _libc() -> ctypes.CDLL | None:
    # The running program's own symbols, which include those of the C library it is linked
    # with: no search (ctypes.util.find_library runs ldconfig, 10-30 ms of `bitpoll serve`'s
    # start-up before it forks).
    try:
        return ctypes.CDLL(None)
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
    """Move every object alive now out of the garbage collector's sight, for good, and make
    sure the collector runs from here on.

    Called once the server has loaded its code and compiled its templates, before it forks:
    a full collection after a big render then walks only what the worker created since (a
    third of a big poll's render time went to walking Django's modules, templates and
    translations), and the collector no longer writes to the shared pages' object headers,
    so they stay shared between the workers. No collection first: at that point it finds a
    few hundred objects (under two thousand when `bitpoll serve` started with the collector
    off, see bitpoll.__main__) and costs the start-up tens of milliseconds.
    """
    gc.freeze()
    gc.enable()


def release_memory() -> None:
    """Hand the memory of a big piece of work back to the system.

    Rendering a poll with thousands of answers builds hundreds of thousands of short-lived
    objects; without this each worker would keep that peak for the rest of its life.
    """
    gc.collect()
    _glibc_call("malloc_trim", 0)
