"""The warm tier's local cache: whole split folders, bounded in bytes, least recently used
first out. Fetching a split is done once however many searches want it at once.

A split is fetched into a temporary folder (``.fetch-*`` under the root) and renamed to
``<root>/<key>`` once every file is there and checked, so a folder under its key is always
complete: at start the cache accounts the folders it finds (oldest use first, by their
time) and removes the temporary ones a stopped process left.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path, PurePosixPath
from typing import Any

from loghaven.errors import LoghavenError
from loghaven.storage.files import fsync_dir

#: Fetches a split's files into a folder and answers the bytes it read from the store.
Fetch = Callable[[Path], int]
_FETCHING = ".fetch-"
log = logging.getLogger("loghaven.storage")


class SplitTooLarge(LoghavenError):
    """A split that cannot fit in the cache even when it is empty."""

    type = "illegal_state_exception"
    status = 500


class SplitCache:
    """Split folders under ``root``, at most ``max_bytes`` of files (a split in use by a
    search is never evicted; one larger than the whole cache is refused with a clear
    error). Counts hits, misses, bytes fetched and evictions.

    "In use" is a lease (:meth:`lease`): held while a split's files are opened by tantivy.
    Once a searcher is made its files are mapped, so evicting the folder afterwards does not
    disturb searches in flight (the kernel keeps deleted, mapped files until unmapped).
    When everything is leased a fetch may take the cache above its bound for a while.
    """

    def __init__(self, root: Path, max_bytes: int, *, prefetch_threads: int = 4) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.prefetch_threads = prefetch_threads
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, int] = OrderedDict()  # key → bytes, LRU first
        self._leases: dict[str, int] = {}
        self._fetching: dict[str, Future[Path]] = {}
        self._reserved = 0  # bytes of fetches under way
        self._callbacks: dict[str, list[Callable[[], None]]] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._closed = False
        self.counters = {"hits": 0, "misses": 0, "bytes_fetched": 0, "evictions": 0,
                         "prefetches": 0, "fetch_failures": 0}
        try:
            self._load()
        except OSError as e:  # the node starts; the first fetch reports the folder's problem
            log.warning("warm cache %s: could not read its folder: %s", root, e)

    def _load(self) -> None:
        """Account the complete split folders found, remove partial fetches."""
        if not self.root.is_dir():
            return
        found: list[tuple[float, str, int]] = []
        for first in self.root.iterdir():
            if first.name.startswith(_FETCHING):
                shutil.rmtree(first, ignore_errors=True)
                continue
            if not first.is_dir():
                continue
            for second in first.iterdir():
                if second.is_dir():
                    found.append((second.stat().st_mtime, f"{first.name}/{second.name}",
                                  _folder_bytes(second)))
        for _, key, size in sorted(found):
            self._entries[key] = size

    def path(self, key: str) -> Path:
        """Where split ``key`` (``<index uuid>/<split id>``) is or will be cached."""
        parts = PurePosixPath(key).parts
        if len(parts) != 2 or any(p in (".", "..") or p.startswith(".") for p in parts) \
                or "\\" in key or "\x00" in key:
            raise LoghavenError(f"invalid warm split key [{key}]")
        return self.root.joinpath(*parts)

    # --- opening ---------------------------------------------------------------------------

    def open(self, key: str, size: int, fetch: Fetch) -> Path:
        """The folder holding split ``key`` (``size`` bytes once fetched): a hit marks it
        recently used; a miss evicts what it must, then fetches (one fetch per key at a
        time; the other callers wait for it)."""
        with self.lease(key, size, fetch) as path:
            return path

    @contextlib.contextmanager
    def lease(self, key: str, size: int, fetch: Fetch) -> Iterator[Path]:
        """:meth:`open`, keeping the split from eviction until the block ends."""
        path = self._acquire(key, size, fetch)
        try:
            yield path
        finally:
            self._release(key)

    def _release(self, key: str) -> None:
        """End a lease; a cache that went over its bound while splits were held gets back
        under it now."""
        with self._lock:
            self._leases[key] -= 1
            if not self._leases[key]:
                del self._leases[key]
            evicted = self._make_room(0, keep=key)
        self._evicted(evicted)

    def _acquire(self, key: str, size: int, fetch: Fetch, *, prefetch: bool = False) -> Path:
        path = self.path(key)
        future: Future[Path] | None = None
        while True:
            with self._lock:
                if key in self._entries:
                    self._entries.move_to_end(key)
                    self._leases[key] = self._leases.get(key, 0) + 1
                    if not prefetch:
                        self.counters["hits"] += 1
                    break
                waiting = self._fetching.get(key)
                if waiting is None:
                    future = self._fetching[key] = Future()
                    self.counters["misses"] += 1
                    break
            waiting.result()  # the fetcher's error is this caller's too; then a hit
        if future is not None:
            return self._first(key, size, fetch, path, future)
        with contextlib.suppress(OSError):  # the order of use survives a restart
            os.utime(path)
        return path

    def _first(self, key: str, size: int, fetch: Fetch, path: Path,
               future: Future[Path]) -> Path:
        """The fetch of the first caller to miss ``key``; the others wait for ``future``."""
        try:
            self._fetch(key, size, fetch, path)
        except BaseException as e:
            with self._lock:
                del self._fetching[key]
                self.counters["fetch_failures"] += 1
            future.set_exception(e)
            raise
        with self._lock:
            del self._fetching[key]
            self._entries[key] = size
            self._reserved -= size
            self._leases[key] = self._leases.get(key, 0) + 1
        future.set_result(path)
        return path

    def _fetch(self, key: str, size: int, fetch: Fetch, path: Path) -> None:
        if size > self.max_bytes:
            raise SplitTooLarge(
                f"warm split [{key}] has {size} bytes, more than the whole warm cache "
                f"({self.max_bytes} bytes, warm.cache.size): raise warm.cache.size")
        with self._lock:
            evicted = self._make_room(size)
            self._reserved += size
        self._evicted(evicted)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            temporary = self.root / f"{_FETCHING}{uuid.uuid4().hex}"
            temporary.mkdir()
            try:
                fetched = fetch(temporary)
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.rmtree(path, ignore_errors=True)  # left by a failed eviction
                os.replace(temporary, path)  # its files and entries are fsynced: whole
                fsync_dir(path.parent)  # and kept across a power loss
            finally:
                shutil.rmtree(temporary, ignore_errors=True)
        except BaseException:
            with self._lock:
                self._reserved -= size
            raise
        with self._lock:
            self.counters["bytes_fetched"] += fetched

    def _make_room(self, size: int, keep: str | None = None,
                   ) -> list[tuple[str, list[Callable[[], None]]]]:
        """Under the lock: drop least recently used splits nobody holds (nor ``keep``, just
        opened) until ``size`` more bytes fit; their keys and callbacks (called, and folders
        removed, outside it)."""
        evicted = []
        for key in list(self._entries):
            if self._used() + size <= self.max_bytes:
                break
            if self._leases.get(key) or key == keep:
                continue
            self._entries.pop(key)
            self.counters["evictions"] += 1
            evicted.append((key, list(self._callbacks.get(key, ()))))
        return evicted

    def _evicted(self, evicted: list[tuple[str, list[Callable[[], None]]]]) -> None:
        for key, callbacks in evicted:
            for callback in callbacks:
                try:
                    callback()
                except Exception:  # one split's failure must not stop the others' eviction
                    log.exception("warm cache: eviction callback of [%s] failed", key)
            shutil.rmtree(self.path(key), ignore_errors=True)

    def _used(self) -> int:
        return sum(self._entries.values()) + self._reserved

    # --- the rest of the contract ----------------------------------------------------------

    def prefetch(self, key: str, size: int, fetch: Fetch) -> None:
        """:meth:`open` in a background thread; returns at once (already cached: nothing).
        Fetches under way never take more than the cache holds: a prefetch beyond that is
        left to the search that needs it (it would only evict what was just fetched)."""
        with self._lock:
            if self._closed or key in self._entries or key in self._fetching \
                    or self._reserved + size > self.max_bytes:
                return
            self.counters["prefetches"] += 1
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max(1, self.prefetch_threads),
                                                thread_name_prefix="warm-prefetch")
            pool = self._pool
        pool.submit(self._prefetch, key, size, fetch)

    def _prefetch(self, key: str, size: int, fetch: Fetch) -> None:
        try:
            self._acquire(key, size, fetch, prefetch=True)
        except Exception as e:  # the search that needs it fetches again and reports it
            log.warning("warm cache: prefetching [%s] failed: %s", key, e)
            return
        self._release(key)

    def touch(self, key: str) -> bool:
        """A use of a split whose files are already open (a hit, most recently used now);
        False if it is not cached."""
        with self._lock:
            if key not in self._entries:
                return False
            self._entries.move_to_end(key)
            self.counters["hits"] += 1
        with contextlib.suppress(OSError):
            os.utime(self.path(key))
        return True

    def on_evict(self, key: str, callback: Callable[[], None]) -> None:
        """Call ``callback`` when ``key``'s files are evicted (a split drops its open tantivy
        index then; searches in flight keep the files they mapped)."""
        with self._lock:
            self._callbacks.setdefault(key, []).append(callback)

    def drop(self, key: str) -> None:
        """Remove a split's files now (its index was deleted or moved back to hot)."""
        with self._lock:
            present = self._entries.pop(key, None) is not None
            callbacks = self._callbacks.pop(key, [])
        if present or callbacks:
            self._evicted([(key, callbacks)])
        else:
            shutil.rmtree(self.path(key), ignore_errors=True)

    def stats(self) -> dict[str, Any]:
        """``hits``, ``misses``, ``bytes_fetched``, ``evictions``, ``prefetches``,
        ``size_in_bytes``, ``limit_in_bytes``, ``splits`` (for ``_nodes/stats`` and the
        Prometheus metrics of issue 20)."""
        with self._lock:
            return {**self.counters, "size_in_bytes": sum(self._entries.values()),
                    "limit_in_bytes": self.max_bytes, "splits": len(self._entries),
                    "fetching": len(self._fetching)}

    def close(self) -> None:
        """Stop the prefetch threads (the files stay for the next start)."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
