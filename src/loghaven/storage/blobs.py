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
from concurrent.futures import ThreadPoolExecutor, as_completed, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import zstandard

from loghaven.storage.files import atomic_writer, file_sha256, fsync_dir, start_writeback
from loghaven.storage.objects import ObjectStore, ObjectStoreError

_CHUNK = 1 << 20
#: Files of one split downloaded at once (:meth:`BlobStore.download`).
DOWNLOAD_THREADS = 4
#: A downloaded file's bytes are sent on to disk in pieces of this size as they come.
_WRITEBACK = 8 << 20


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

    def __init__(self, store: ObjectStore, bucket: str, *, level: int = 3,
                 threads: int = DOWNLOAD_THREADS) -> None:
        self.store = store
        self.bucket = bucket
        self.level = level
        self.threads = threads

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
        SHA-256 (ObjectStoreError on a mismatch); the bytes read from the store.

        Each object streams through zstd and SHA-256 into a temporary file renamed into
        place (no compressed copy on disk), :attr:`threads` files at a time, largest first
        (the segments' document stores, nearly 90% of a warm split): zstd, hashlib and file
        writes release the GIL. Each file is fsynced and the folder once at the end
        (decisions/0013, **Fetch**). On a failure the files this call wrote are removed
        again: nothing of it stays."""
        blobs = sorted(files, key=lambda blob: blob.size, reverse=True)
        total = 0
        with ThreadPoolExecutor(max(1, min(self.threads, len(blobs))),
                                thread_name_prefix="blob-download") as pool:
            futures = {pool.submit(self._fetch, blob, folder / blob.name): blob
                       for blob in blobs}
            try:
                for future in as_completed(futures):
                    total += future.result()
                    if progress is not None:
                        progress(futures[future].size)
            except BaseException:
                for future in futures:
                    future.cancel()
                wait(futures)
                for future, blob in futures.items():
                    if not future.cancelled() and future.exception() is None:
                        (folder / blob.name).unlink(missing_ok=True)
                raise
        fsync_dir(folder)
        return total

    def _fetch(self, blob: BlobFile, path: Path) -> int:
        """One file: its object streamed into ``path``; the object's bytes."""
        try:
            return self.store.get_chunks(self.bucket, blob.key,
                                         lambda chunks: _decompress(blob, chunks, path))
        except KeyError:
            raise ObjectStoreError(
                f"object [{blob.key}] of file [{blob.name}] is missing from bucket "
                f"[{self.bucket}] of {self.store.describe()}") from None
        except (_Damaged, zstandard.ZstdError) as e:
            raise ObjectStoreError(
                f"object [{blob.key}] in bucket [{self.bucket}] of {self.store.describe()} is "
                f"damaged: file [{blob.name}] should be {blob.size} bytes with SHA-256 "
                f"{blob.sha256}, it decompresses to {e}") from e

    def delete(self, keys: Iterable[str]) -> None:
        """Remove objects; a missing one is not an error."""
        for key in keys:
            self.store.delete(self.bucket, key)


def _decompress(blob: BlobFile, chunks: Iterator[bytes], path: Path) -> int:
    """Decompress an object's pieces into a new file at ``path`` if it turns out to be
    ``blob`` (size and SHA-256); the compressed bytes read. A damaged object is reported
    only once all its pieces came: a failed checksum or a short read, which the store
    tries again, comes first."""
    read = 0
    with atomic_writer(path, sync_folder=False) as target:
        checked = _Checked(blob, target)
        writer = zstandard.ZstdDecompressor().stream_writer(checked, write_size=_CHUNK,
                                                            closefd=False)
        try:
            for chunk in chunks:
                read += len(chunk)
                writer.write(chunk)
            writer.flush()
            checked.verify()
        except (_Damaged, zstandard.ZstdError):
            for _ in chunks:
                pass
            raise
    return read


class _Checked:
    """Where a file's decompressed bytes go: counted, hashed and written; never more than
    the file's size."""

    def __init__(self, blob: BlobFile, target: BinaryIO) -> None:
        self.blob = blob
        self.target = target
        self.digest = hashlib.sha256()
        self.size = 0
        self.written_back = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.blob.size:
            raise _Damaged("more bytes")
        self.digest.update(data)
        self.target.write(data)
        if self.size - self.written_back >= _WRITEBACK:
            self.written_back = start_writeback(self.target, self.written_back)
        return len(data)

    def verify(self) -> None:
        if self.size != self.blob.size or self.digest.hexdigest() != self.blob.sha256:
            raise _Damaged(f"{self.size} bytes with SHA-256 {self.digest.hexdigest()}")


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
