"""Split files as objects: compressed with zstd, verified by SHA-256 on the way back.

The warm tier (storage/warm.py) and snapshots (lifecycle/snapshots/) both store a sealed
split's committed files this way; each decides how its objects are keyed (the warm tier per
split, snapshots by content so that an unchanged file is stored once).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zstandard

from loghaven.storage.files import atomic_writer, file_sha256
from loghaven.storage.objects import ObjectStore, ObjectStoreError

_CHUNK = 1 << 20


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
        its object. With ``skip_existing`` an object already under its key is not sent again
        (its size is not compared: the compressed size is known only after compressing, and
        a key naming the content's SHA-256 says what the object holds): content-addressed
        keys make copies incremental.
        ``progress`` is told the bytes of each file done. ObjectStoreError on failure.

        Each file is read twice: once for its SHA-256 (the key may depend on it), then
        compressed into a temporary file beside ``folder`` that is sent streamed."""
        stored: list[BlobFile] = []
        for name in names:
            path = folder / name
            size, digest = file_sha256(path)
            sha256 = digest.hex()
            key = key_of(name, sha256)
            existing = self.store.head(self.bucket, key) if skip_existing else None
            if existing is None:
                with _scratch(folder.parent, name) as compressed:
                    with open(path, "rb") as source, open(compressed, "wb") as target:
                        zstandard.ZstdCompressor(level=self.level).copy_stream(
                            source, target, read_size=_CHUNK, write_size=_CHUNK)
                    existing = self.store.put_file(self.bucket, key, compressed)
            stored.append(BlobFile(name, size, sha256, key, existing.size))
            if progress is not None:
                progress(size)
        return stored

    def verify(self, files: Iterable[BlobFile]) -> None:
        """Each file's object is there with its stored size; ObjectStoreError naming the
        first that is missing or differs."""
        for blob in files:
            info = self.store.head(self.bucket, blob.key)
            if info is None or info.size != blob.stored_size:
                found = "is missing" if info is None else f"has {info.size} bytes"
                raise ObjectStoreError(
                    f"object [{blob.key}] of file [{blob.name}] in bucket [{self.bucket}] of "
                    f"{self.store.describe()} {found}, {blob.stored_size} bytes expected")

    def download(self, files: Iterable[BlobFile], folder: Path, *,
                 progress: Callable[[int], None] | None = None) -> int:
        """Fetch, decompress and write each file into ``folder``, checking its size and
        SHA-256 (ObjectStoreError on a mismatch; no file is left half-written); the bytes
        read from the store."""
        total = 0
        for blob in files:
            with _scratch(folder, blob.name) as compressed:
                try:
                    total += self.store.get_file(self.bucket, blob.key, compressed)
                except KeyError:
                    raise ObjectStoreError(
                        f"object [{blob.key}] of file [{blob.name}] is missing from bucket "
                        f"[{self.bucket}] of {self.store.describe()}") from None
                self._decompress(blob, compressed, folder / blob.name)
            if progress is not None:
                progress(blob.size)
        return total

    def _decompress(self, blob: BlobFile, compressed: Path, path: Path) -> None:
        digest = hashlib.sha256()
        size = 0
        try:
            with open(compressed, "rb") as source, atomic_writer(path) as target:
                reader = zstandard.ZstdDecompressor().stream_reader(source, read_size=_CHUNK)
                while chunk := reader.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    if size > blob.size:
                        break
                    target.write(chunk)
                if size != blob.size or digest.hexdigest() != blob.sha256:
                    raise _Damaged(f"{size if size <= blob.size else 'more'} bytes with SHA-256 "
                                   f"{digest.hexdigest() if size == blob.size else '-'}")
        except (_Damaged, zstandard.ZstdError) as e:
            raise ObjectStoreError(
                f"object [{blob.key}] in bucket [{self.bucket}] of {self.store.describe()} is "
                f"damaged: file [{blob.name}] should be {blob.size} bytes with SHA-256 "
                f"{blob.sha256}, it decompresses to {e}") from e

    def delete(self, keys: Iterable[str]) -> None:
        """Remove objects; a missing one is not an error."""
        for key in keys:
            self.store.delete(self.bucket, key)


@contextlib.contextmanager
def _scratch(folder: Path, name: str) -> Iterator[Path]:
    """A temporary file's path in ``folder`` (named as storage/files.py names its temporary
    files, so that no listing takes it for a file), removed afterwards."""
    fd, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".zst.tmp", dir=folder)
    os.close(fd)
    try:
        yield Path(temporary)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


class _Damaged(Exception):
    """A decompressed file that is not the one stored."""
