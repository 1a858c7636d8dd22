"""Settings for the long-running processes: the server and its ingest workers."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc

#: glibc's ``mallopt`` parameter for the most arenas malloc makes.
_M_ARENA_MAX = -8
#: Arenas the server's malloc may keep (glibc's default: eight per core).
SERVER_MALLOC_ARENAS = 2


def tune_gc() -> None:
    """Never walk again the objects that exist once startup is done.

    The collector's thresholds stay at CPython's defaults: raising them 70x made 1M-document
    bulk ingest slower, not faster (8,879 against 10,123 docs/s, docs/BENCHMARKS.md).
    """
    gc.collect()
    gc.freeze()


def limit_malloc_arenas(arenas: int = SERVER_MALLOC_ARENAS) -> bool:
    """Let glibc's malloc make at most ``arenas`` arenas; whether it took the setting.

    glibc gives threads arenas of their own, up to eight per core, and keeps what is freed in
    each: tantivy's indexing and merge threads and the request threads left 618 MiB of
    anonymous memory in the server after 2.5M WAF documents, 356 MiB with two arenas, at the
    same speed (docs/BENCHMARKS.md). Called before the node starts its threads; with another C
    library (musl, macOS) nothing changes.
    """
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt if name else None
    except (OSError, AttributeError):
        return False
    return mallopt is not None and mallopt(_M_ARENA_MAX, arenas) == 1
