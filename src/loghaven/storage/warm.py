"""The warm tier: sealed splits in the object store's warm bucket, searched through the local
split cache (storage/split_cache.py), exactly as hot ones (docs/tiers.md).

A warm split's location is ``warm:<index uuid>/<split id>`` (relative to ``warm.bucket``, as
a local location is to the data folder). Its metadata (engine/split.py ``SplitMeta``) lists
its files (``files``: :class:`~loghaven.storage.blobs.BlobFile` records) and its tantivy
schema (``schema``), so an index with warm splits opens without fetching anything.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import orjson

from loghaven.errors import LoghavenError
from loghaven.storage.blobs import BlobFile, BlobStore
from loghaven.storage.objects import ObjectStore, ObjectStoreError
from loghaven.storage.split_cache import SplitCache

if TYPE_CHECKING:
    from loghaven.config import Config
    from loghaven.engine.split import SplitMeta

WARM = "warm:"
#: A local split's location names its index (storage/splits.py LocalSplitStorage).
_LOCAL = re.compile(r"^local:indices/([^/]+)/splits/([^/]+)$")


class WarmTier:
    """Uploads, verifies, fetches and deletes warm splits; owns the split cache.

    Objects are keyed ``<index uuid>/<split id>/<file name>`` in ``warm.bucket``, one
    zstd-compressed object per committed file of the split (docs/decisions/0013-warm-tier.md).
    """

    def __init__(self, config: Config, store: ObjectStore) -> None:
        self.config = config
        self.store = store
        self.bucket = config.warm_bucket
        self.blobs = BlobStore(store, self.bucket, level=config.warm_compression_level)
        root = Path(config.warm_cache_path)
        self.cache = SplitCache(root if root.is_absolute() else Path(config.data_dir) / root,
                                config.warm_cache_size,
                                prefetch_threads=config.warm_prefetch_threads)
        self._bucket_ready = False
        self._bucket_lock = threading.Lock()
        #: ``<index uuid>/<split id>`` of uploads under way, until their caller recorded them
        #: (:meth:`uploading`): the orphan sweep (storage/warm_gc.py) leaves them alone.
        self._uploading: dict[str, int] = {}
        self._uploading_lock = threading.Lock()

    def location(self, index_uuid: str, split_id: str) -> str:
        return f"{WARM}{index_uuid}/{split_id}"

    # --- moving splits in and out ----------------------------------------------------------

    def upload(self, meta: SplitMeta, folder: Path, *,
               progress: Callable[[int], None] | None = None,
               index_uuid: str | None = None) -> SplitMeta:
        """Store a sealed split's committed files (the set ``split_checksum`` covers) and
        answer its warm metadata: warm location, ``files``, ``schema``, the same checksum
        (computed first if the split has none). Sending it again is harmless.

        The index's uuid comes from ``index_uuid`` or else the split's local location
        (``local:indices/<uuid>/splits/<id>``)."""
        from loghaven.storage.splits import committed_files, split_checksum

        uuid = index_uuid or _index_uuid(meta, folder)
        checksum = meta.checksum or split_checksum(folder)
        tantivy_meta = orjson.loads((folder / "meta.json").read_bytes())
        self._ensure_bucket()
        prefix = f"{uuid}/{meta.split_id}/"
        files = self.blobs.upload(folder, committed_files(folder),
                                  lambda name, _sha: prefix + name, progress=progress)
        return dataclasses.replace(
            meta, state="sealed", location=self.location(uuid, meta.split_id),
            checksum=checksum, files=[f.to_json() for f in files],
            schema=tantivy_meta["schema"], segments=tantivy_meta["segments"])

    @contextlib.contextmanager
    def uploading(self, index_uuid: str, split_id: str) -> Iterator[None]:
        """Mark a split's objects as being uploaded while the block runs: the upload and the
        write that records it (a migration's ``moved``), so that no sweep takes them for
        orphans in between."""
        key = f"{index_uuid}/{split_id}"
        with self._uploading_lock:
            self._uploading[key] = self._uploading.get(key, 0) + 1
        try:
            yield
        finally:
            with self._uploading_lock:
                self._uploading[key] -= 1
                if not self._uploading[key]:
                    del self._uploading[key]

    def in_flight(self) -> set[str]:
        """``<index uuid>/<split id>`` of the uploads under way (:meth:`uploading`)."""
        with self._uploading_lock:
            return set(self._uploading)

    def verify(self, meta: SplitMeta) -> None:
        """Every object of a warm split is stored with its size; ObjectStoreError if not."""
        self.blobs.verify(_blobs(meta))

    def download(self, meta: SplitMeta, folder: Path) -> None:
        """Fetch a warm split into a new local folder, checked against its checksum (the
        migration back to hot). On any failure the folder is removed."""
        from loghaven.storage.splits import split_checksum

        if folder.exists() and any(folder.iterdir()):
            raise LoghavenError(f"cannot download warm split [{meta.split_id}] into {folder}: "
                                "the folder is not empty")
        folder.mkdir(parents=True, exist_ok=True)
        try:
            self.blobs.download(_blobs(meta), folder)
            if meta.checksum and (found := split_checksum(folder)) != meta.checksum:
                raise ObjectStoreError(
                    f"warm split [{meta.split_id}] downloaded to {folder} has checksum "
                    f"{found}, not the {meta.checksum} it was stored with")
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise

    def delete(self, meta: SplitMeta) -> None:
        """Remove a warm split's objects and its cached files."""
        assert meta.location is not None
        self.blobs.delete(f.key for f in _blobs(meta))
        self.delete_location(meta.location)

    def delete_location(self, location: str) -> None:
        """Remove every object under a warm location's prefix (stray ones of an upload that
        was interrupted included) and its cached files."""
        key = self.cache_key(location)
        self.blobs.delete(info.key for info in self.store.list(self.bucket, key + "/"))
        self.cache.drop(key)

    def stored_bytes(self, meta: SplitMeta) -> int:
        """Bytes a warm split takes in the object store."""
        return sum(f.stored_size for f in _blobs(meta))

    # --- searching through the cache -------------------------------------------------------

    def cache_key(self, location: str) -> str:
        """``<index uuid>/<split id>`` of a ``warm:`` location (LoghavenError if it is none)."""
        if not location.startswith(WARM):
            raise LoghavenError(f"split location [{location}] is not in the warm tier")
        key = location[len(WARM):]
        self.cache.path(key)  # refuses anything but two plain names
        return key

    def cache_path(self, location: str) -> Path:
        """The cache folder a warm split is (or will be) fetched into."""
        return self.cache.path(self.cache_key(location))

    @contextlib.contextmanager
    def lease(self, meta: SplitMeta) -> Iterator[Path]:
        """The split's cached folder, fetched if it is not there, kept from eviction while
        the block runs (tantivy opens its files then)."""
        key, size, fetch = self._fetching(meta)
        with self.cache.lease(key, size, fetch) as path:
            yield path

    def prefetch(self, meta: SplitMeta) -> None:
        """Start fetching a split a search is about to need."""
        self.cache.prefetch(*self._fetching(meta))

    def touch(self, meta: SplitMeta) -> bool:
        assert meta.location is not None
        return self.cache.touch(self.cache_key(meta.location))

    def on_evict(self, meta: SplitMeta, callback: Callable[[], None]) -> None:
        assert meta.location is not None
        self.cache.on_evict(self.cache_key(meta.location), callback)

    def _fetching(self, meta: SplitMeta) -> tuple[str, int, Callable[[Path], int]]:
        assert meta.location is not None
        files = _blobs(meta)
        return (self.cache_key(meta.location), sum(f.size for f in files),
                lambda folder: self.blobs.download(files, folder))

    def _ensure_bucket(self) -> None:
        with self._bucket_lock:
            if not self._bucket_ready:
                self.store.ensure_bucket(self.bucket)
                self._bucket_ready = True

    def stats(self) -> dict[str, Any]:
        """The cache's counters (SplitCache.stats) for ``_nodes/stats``."""
        return self.cache.stats()

    def close(self) -> None:
        """Stop prefetching."""
        self.cache.close()


def _blobs(meta: SplitMeta) -> list[BlobFile]:
    if meta.files is None:
        raise LoghavenError(f"split [{meta.split_id}] has no warm files recorded")
    return [BlobFile.from_json(f) for f in meta.files]


def _index_uuid(meta: SplitMeta, folder: Path) -> str:
    match = _LOCAL.match(meta.location or "")
    if match:
        return match.group(1)
    parts = PurePosixPath(folder.as_posix()).parts  # <data>/indices/<uuid>/splits/<id>
    if len(parts) >= 3 and parts[-2] == "splits":
        return parts[-3]
    raise LoghavenError(f"cannot tell the index of split [{meta.split_id}] at {folder}: pass "
                        "index_uuid")
