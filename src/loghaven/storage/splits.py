"""Where split files live: a location URI per split, resolved by a :class:`SplitStorage`.

The engine records a location in each split's metadata and asks the storage for a local
folder to open with tantivy, so that the warm tier (sealed splits in an object store, fetched
into a bounded local cache) is one more implementation, not a change to the engine
(docs/decisions/0006-split-locations.md). Locations are relative to the node's data folder
(``local:indices/<uuid>/splits/<split-id>``), so moving the data folder moves nothing else.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Protocol

import orjson

from loghaven.errors import LoghavenError
from loghaven.storage.files import file_sha256
from loghaven.storage.warm import WARM

if TYPE_CHECKING:
    from loghaven.engine.split import SplitMeta
    from loghaven.storage.warm import WarmTier

LOCAL = "local:"
#: A committed tantivy index has this file; a split folder without it holds no split.
META_JSON = "meta.json"


class SplitStorage(Protocol):
    """Split folders addressed by location URIs."""

    def location(self, index_uuid: str, split_id: str) -> str:
        """The location of a new split of an index."""
        ...

    def local_path(self, location: str) -> Path:
        """A local folder holding the split, for tantivy to open or create."""
        ...

    def exists(self, location: str) -> bool:
        """Whether a committed split is stored there."""
        ...

    def list(self, index_uuid: str) -> list[str]:
        """The locations of every split folder of an index, whether its state lists it or not."""
        ...

    def files(self, location: str) -> list[str]:
        """The names of a split's files (tantivy's segment files, meta.json, its lock files)."""
        ...

    def delete(self, location: str) -> None:
        """Remove a split's files; deleting one that is not there is not an error."""
        ...

    def copy(self, location: str, target: str) -> None:
        """Copy a split's files to another location (of this storage)."""
        ...

    def is_remote(self, location: str) -> bool:
        """Whether the split's files are fetched on demand (a warm split): then ``Split``
        opens it lazily, on its first search, through :meth:`local_path`."""
        ...


class LocalSplitStorage:
    """Splits as folders under the node's data folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def location(self, index_uuid: str, split_id: str) -> str:
        return f"{LOCAL}indices/{index_uuid}/splits/{split_id}"

    def local_path(self, location: str) -> Path:
        if not location.startswith(LOCAL):
            raise LoghavenError(f"split location [{location}] is not in this node's data folder")
        relative = PurePosixPath(location[len(LOCAL):])
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise LoghavenError(f"split location [{location}] is not in this node's data folder")
        return self.root.joinpath(*relative.parts)

    def exists(self, location: str) -> bool:
        return (self.local_path(location) / META_JSON).exists()

    def list(self, index_uuid: str) -> list[str]:
        folder = self.root / "indices" / index_uuid / "splits"
        if not folder.is_dir():
            return []
        return [self.location(index_uuid, path.name)
                for path in sorted(folder.iterdir()) if path.is_dir()]

    def files(self, location: str) -> list[str]:
        path = self.local_path(location)
        return sorted(p.name for p in path.iterdir() if p.is_file()) if path.is_dir() else []

    def delete(self, location: str) -> None:
        shutil.rmtree(self.local_path(location), ignore_errors=True)

    def copy(self, location: str, target: str) -> None:
        shutil.copytree(self.local_path(location), self.local_path(target))

    def is_remote(self, location: str) -> bool:
        return False


class TieredSplitStorage:
    """The node's split storage: ``local:`` locations in the data folder, ``warm:`` ones in
    the warm tier (storage/warm.py) through its cache. ``list`` answers local folders only,
    so the engine's sweep of unlisted folders never deletes warm objects.

    A warm split's files are known from its metadata (``SplitMeta.files``), so ``exists``
    asks nothing of the object store (nothing is fetched or listed when a node starts);
    ``local_path`` is its cache folder, filled on demand by :meth:`lease`."""

    def __init__(self, local: LocalSplitStorage, warm: WarmTier) -> None:
        self.local = local
        self.warm = warm

    def location(self, index_uuid: str, split_id: str) -> str:
        return self.local.location(index_uuid, split_id)

    def local_path(self, location: str) -> Path:
        if location.startswith(WARM):
            return self.warm.cache_path(location)
        return self.local.local_path(location)

    def exists(self, location: str) -> bool:
        if location.startswith(WARM):
            self.warm.cache_key(location)  # a well-formed warm location
            return True
        return self.local.exists(location)

    def list(self, index_uuid: str) -> list[str]:
        return self.local.list(index_uuid)

    def files(self, location: str) -> list[str]:
        if location.startswith(WARM):  # what is cached of it
            path = self.warm.cache_path(location)
            return sorted(p.name for p in path.iterdir() if p.is_file()) \
                if path.is_dir() else []
        return self.local.files(location)

    def delete(self, location: str) -> None:
        if location.startswith(WARM):
            self.warm.delete_location(location)
            return
        self.local.delete(location)

    def copy(self, location: str, target: str) -> None:
        self.local.copy(location, target)

    def is_remote(self, location: str) -> bool:
        return location.startswith(WARM)

    # --- warm splits (engine/split.py opens them through these) ----------------------------

    def lease(self, meta: SplitMeta) -> AbstractContextManager[Path]:
        return self.warm.lease(meta)

    def prefetch(self, meta: SplitMeta) -> None:
        self.warm.prefetch(meta)

    def touch(self, meta: SplitMeta) -> bool:
        return self.warm.touch(meta)

    def on_evict(self, meta: SplitMeta, callback: Callable[[], None]) -> None:
        self.warm.on_evict(meta, callback)


def split_checksum(path: Path) -> str:
    """``sha256:<hex>`` over the committed files of the tantivy index in ``path``.

    The files are meta.json and the files of the segments it lists (of a segment's delete
    files only the current one): what a copy of the split must hold to open the same
    documents. Hidden bookkeeping files (locks, ``.managed.json``) and files left for
    tantivy's garbage collection are not part of it. Each file contributes its name, size
    and SHA-256, in name order. It reads every byte: 500-800 MB/s measured (0.14-0.22 s for a
    200k-document WAF split of 115 MB), so it runs in a split's close thread.
    """
    digest = hashlib.sha256()
    for name in committed_files(path):
        size, file_digest = file_sha256(path / name)
        digest.update(orjson.dumps([name, size, file_digest.hex()]) + b"\n")
    return "sha256:" + digest.hexdigest()


def committed_files(path: Path) -> list[str]:
    """The names of the files :func:`split_checksum` covers (what a copy must hold)."""
    meta = orjson.loads((path / META_JSON).read_bytes())
    wanted: dict[str, str | None] = {}  # segment id → its current delete file
    for segment in meta["segments"]:
        segment_id = segment["segment_id"].replace("-", "")
        deletes = segment.get("deletes")
        wanted[segment_id] = f"{segment_id}.{deletes['opstamp']}.del" if deletes else None
    names = [META_JSON]
    for file in path.iterdir():
        segment_id, _, extension = file.name.partition(".")
        if segment_id in wanted and (not extension.endswith("del")
                                     or file.name == wanted[segment_id]):
            names.append(file.name)
    return sorted(names)
