"""Settings for the long-running processes: the server and its ingest workers."""

from __future__ import annotations

import gc

#: Container allocations between young-generation collections (CPython's default is 700).
#: Ingest allocates and frees tens of objects per document; at the default the collector
#: ran every few documents and walked every object still alive, about a tenth of the
#: server's Python time under bulk load (perf).
GC_YOUNG_THRESHOLD = 50_000


def tune_gc() -> None:
    """Collect less often, and never walk the objects that exist once startup is done."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 20)
