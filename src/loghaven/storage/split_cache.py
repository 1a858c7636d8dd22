"""The warm tier's local cache: whole split folders, bounded in bytes, least recently used
first out. Fetching a split is done once however many searches want it at once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

#: Fetches a split's files into a folder and answers the bytes it read from the store.
Fetch = Callable[[Path], int]


class SplitCache:
    """Split folders under ``root``, at most ``max_bytes`` of files (a split in use by a
    search is never evicted; one larger than the whole cache is refused with a clear
    error). Counts hits, misses, bytes fetched and evictions."""

    def __init__(self, root: Path, max_bytes: int, *, prefetch_threads: int = 4) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.prefetch_threads = prefetch_threads

    def open(self, key: str, size: int, fetch: Fetch) -> Path:
        """The folder holding split ``key`` (``size`` bytes once fetched): a hit marks it
        recently used; a miss evicts what it must, then fetches (one fetch per key at a
        time; the other callers wait for it)."""
        raise NotImplementedError("CONTRACT: issue 19, helper warmstore")

    def prefetch(self, key: str, size: int, fetch: Fetch) -> None:
        """:meth:`open` in a background thread; returns at once (already cached: nothing)."""
        raise NotImplementedError("CONTRACT: issue 19, helper warmstore")

    def on_evict(self, key: str, callback: Callable[[], None]) -> None:
        """Call ``callback`` when ``key``'s files are evicted (a split drops its open tantivy
        index then; searches in flight keep the files they mapped)."""
        raise NotImplementedError("CONTRACT: issue 19, helper warmstore")

    def drop(self, key: str) -> None:
        """Remove a split's files now (its index was deleted or moved back to hot)."""
        raise NotImplementedError("CONTRACT: issue 19, helper warmstore")

    def stats(self) -> dict[str, Any]:
        """``hits``, ``misses``, ``bytes_fetched``, ``evictions``, ``prefetches``,
        ``size_in_bytes``, ``limit_in_bytes``, ``splits`` (for ``_nodes/stats`` and the
        Prometheus metrics of issue 20)."""
        raise NotImplementedError("CONTRACT: issue 19, helper warmstore")

    def close(self) -> None:
        """Stop the prefetch threads (the files stay for the next start)."""
