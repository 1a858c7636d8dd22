"""Split files as objects: compressed with zstd, verified by SHA-256 on the way back.

The warm tier (storage/warm.py) and snapshots (lifecycle/snapshots/) both store a sealed
split's committed files this way; each decides how its objects are keyed (the warm tier per
split, snapshots by content so that an unchanged file is stored once).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loghaven.storage.objects import ObjectStore


@dataclass(frozen=True)
class BlobFile:
    """One file of a split as stored: its name in the split folder, its size and SHA-256
    (hex) as a file, the object's key and its size in the store (compressed)."""

    name: str
    size: int
    sha256: str
    key: str
    stored_size: int

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "size": self.size, "sha256": self.sha256, "key": self.key,
                "stored_size": self.stored_size}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BlobFile:
        return cls(data["name"], data["size"], data["sha256"], data["key"],
                   data["stored_size"])


class BlobStore:
    """Files of splits in one bucket of an object store."""

    def __init__(self, store: ObjectStore, bucket: str, *, level: int = 3) -> None:
        self.store = store
        self.bucket = bucket
        self.level = level

    def upload(self, folder: Path, names: Iterable[str], key_of: Callable[[str, str], str], *,
               skip_existing: bool = False,
               progress: Callable[[int], None] | None = None) -> list[BlobFile]:
        """Compress and store each named file of ``folder``; ``key_of(name, sha256)`` names
        its object. With ``skip_existing`` an object already under its key (with the stored
        size) is not sent again: content-addressed keys make copies incremental.
        ``progress`` is told the bytes of each file done. ObjectStoreError on failure."""
        raise NotImplementedError("CONTRACT: issue 19, helper warmstore")

    def verify(self, files: Iterable[BlobFile]) -> None:
        """Each file's object is there with its stored size; ObjectStoreError naming the
        first that is missing or differs."""
        raise NotImplementedError("CONTRACT: issue 19, helper warmstore")

    def download(self, files: Iterable[BlobFile], folder: Path, *,
                 progress: Callable[[int], None] | None = None) -> int:
        """Fetch, decompress and write each file into ``folder``, checking its size and
        SHA-256 (ObjectStoreError on a mismatch; no file is left half-written); the bytes
        read from the store."""
        raise NotImplementedError("CONTRACT: issue 19, helper warmstore")

    def delete(self, keys: Iterable[str]) -> None:
        """Remove objects; a missing one is not an error."""
        raise NotImplementedError("CONTRACT: issue 19, helper warmstore")
