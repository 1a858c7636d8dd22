"""Small files that must survive a crash whole: written to a temporary name, fsynced, renamed.

Used for the metadata kept beside each index (engine/sidecar.py), quarantine records, local
objects and fetched warm split files (storage/objects.py, storage/blobs.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: readers see the old or the new file, never a part.

    Each call writes a temporary file of its own: two threads replacing the same file (an
    index's sidecar, saved by a write's mapping update while its creation saves it) must not
    share one, or one renames the other's away and fails with "No such file or directory".
    """
    with atomic_writer(path) as handle:
        handle.write(data)


@contextlib.contextmanager
def atomic_writer(path: Path, *, sync_folder: bool = True) -> Iterator[BinaryIO]:
    """A file handle whose contents replace ``path`` when the block ends without an error
    (fsynced, renamed, the folder fsynced); on an error the temporary file is removed and
    ``path`` is untouched. For files streamed in pieces (objects, fetched split files).

    ``sync_folder=False`` leaves the folder's fsync to the caller: one for many files
    written into the same folder (a fetched split's)."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        with open(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if sync_folder:
        fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Make a folder's entries (a created, renamed or deleted file) durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def file_sha256(path: Path) -> tuple[int, bytes]:
    """A file's size and SHA-256 digest, read in pieces of a megabyte."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.digest()
