"""Settings for the long-running processes: the server and its ingest workers."""

from __future__ import annotations

import gc


def tune_gc() -> None:
    """Never walk again the objects that exist once startup is done.

    The collector's thresholds stay at CPython's defaults: raising them tenfold saved little
    CPU under bulk load but let cycles that hold request bodies pile up between full
    collections (peak RSS 1.9 GB instead of 0.7 GB over 5M documents).
    """
    gc.collect()
    gc.freeze()
