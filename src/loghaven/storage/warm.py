"""The warm tier: sealed splits in the object store's warm bucket, searched through the local
split cache (storage/split_cache.py), exactly as hot ones (docs/tiers.md).

A warm split's location is ``warm:<index uuid>/<split id>`` (relative to ``warm.bucket``, as
a local location is to the data folder). Its metadata (engine/split.py ``SplitMeta``) lists
its files (``files``: :class:`~loghaven.storage.blobs.BlobFile` records) and its tantivy
schema (``schema``), so an index with warm splits opens without fetching anything.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loghaven.storage.objects import ObjectStore

if TYPE_CHECKING:
    from loghaven.config import Config
    from loghaven.engine.split import SplitMeta

WARM = "warm:"


class WarmTier:
    """Uploads, verifies, fetches and deletes warm splits; owns the split cache."""

    def __init__(self, config: Config, store: ObjectStore) -> None:
        self.config = config
        self.store = store

    def location(self, index_uuid: str, split_id: str) -> str:
        return f"{WARM}{index_uuid}/{split_id}"

    def upload(self, meta: SplitMeta, folder: Path, *,
               progress: Callable[[int], None] | None = None) -> SplitMeta:
        """Store a sealed split's committed files (the set ``split_checksum`` covers) and
        answer its warm metadata: warm location, ``files``, ``schema``, the same checksum
        (computed first if the split has none). Sending it again is harmless."""
        raise NotImplementedError("CONTRACT: issue 19, helper warmstore")

    def verify(self, meta: SplitMeta) -> None:
        """Every object of a warm split is stored with its size; ObjectStoreError if not."""
        raise NotImplementedError("CONTRACT: issue 19, helper warmstore")

    def download(self, meta: SplitMeta, folder: Path) -> None:
        """Fetch a warm split into a new local folder, checked against its checksum (the
        migration back to hot)."""
        raise NotImplementedError("CONTRACT: issue 19, helper warmstore")

    def delete(self, meta: SplitMeta) -> None:
        """Remove a warm split's objects and its cached files."""
        raise NotImplementedError("CONTRACT: issue 19, helper warmstore")

    def stored_bytes(self, meta: SplitMeta) -> int:
        """Bytes a warm split takes in the object store."""
        raise NotImplementedError("CONTRACT: issue 19, helper warmstore")

    def stats(self) -> dict[str, Any]:
        """The cache's counters (SplitCache.stats) for ``_nodes/stats``."""
        raise NotImplementedError("CONTRACT: issue 19, helper warmstore")

    def close(self) -> None:
        """Stop prefetching."""
