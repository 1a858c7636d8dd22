"""Settings for the long-running processes: the server and its ingest workers."""

from __future__ import annotations

import gc


def tune_gc() -> None:
    """Never walk again the objects that exist once startup is done.

    The collector's thresholds stay at CPython's defaults: raising them 70x made 1M-document
    bulk ingest slower, not faster (8,879 against 10,123 docs/s, docs/BENCHMARKS.md).
    """
    gc.collect()
    gc.freeze()
