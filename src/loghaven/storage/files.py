"""Small files that must survive a crash whole: written to a temporary name, fsynced, renamed.

Used for the metadata kept beside each index (engine/sidecar.py), quarantine records, local
objects and fetched warm split files (storage/objects.py, storage/blobs.py).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
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


def start_writeback(handle: BinaryIO, start: int) -> int:
    """Ask the kernel to start writing ``handle``'s bytes from ``start`` on to disk, without
    waiting for them (Linux ``sync_file_range``; elsewhere nothing); the offset asked up to.

    For a large file that is fsynced once complete: the disk works while the file is still
    being produced, and the fsync waits for the tail only. Without it the kernel writes
    nothing back for up to 30 s (or until 10% of memory is dirty), so a fetched split's
    fsync used to write all of it after the last byte came."""
    handle.flush()
    end = handle.tell()
    sync_file_range = _sync_file_range()
    if sync_file_range is not None and end > start:  # advice: a failure is the fsync's
        sync_file_range(handle.fileno(), start, end - start, _SYNC_FILE_RANGE_WRITE)
    return end


_SYNC_FILE_RANGE_WRITE = 2


@functools.cache
def _sync_file_range() -> Callable[[int, int, int, int], int] | None:
    """libc's ``sync_file_range`` (Linux), or None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


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
