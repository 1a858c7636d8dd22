"""Length- and CRC-framed records in append-only files: the index's write-ahead log
(engine/wal.py) and each delivery stream's buffer (streams/buffer.py) are made of them.

A frame is ``[length u32][crc32 u32][payload]``, the CRC over the payload, so a record torn by
``kill -9`` or damaged on disk is detected when the file is read back. An append is cut back
to the last whole record when its write fails or is short (a full disk), so a file never
holds a partial record followed by good ones: a bad frame with no valid frame after it can
only be a torn tail, anything else is damage.
"""

from __future__ import annotations

import contextlib
import errno
import os
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from loghaven.storage.files import fsync_dir

FRAME = struct.Struct("<II")
T = TypeVar("T")
#: Reads a payload; raises ``struct.error`` or ``ValueError`` when it is not one.
Decoder = Callable[[bytes], T]


def frame(*parts: bytes) -> bytes:
    """The frame header of the payload made of ``parts`` (written just before them)."""
    crc = 0
    for part in parts:
        crc = zlib.crc32(part, crc)
    return FRAME.pack(sum(len(part) for part in parts), crc)


def read_frame(data: bytes, offset: int, decode: Decoder[T], min_length: int
               ) -> tuple[T, int] | None:
    """The record framed at ``offset`` and the offset after it, or None if the frame is
    incomplete, shorter than ``min_length``, fails its checksum or does not decode (a
    zero-filled tail is not a frame)."""
    if offset + FRAME.size > len(data):
        return None
    length, crc = FRAME.unpack_from(data, offset)
    end = offset + FRAME.size + length
    if length < min_length or end > len(data):
        return None
    payload = data[offset + FRAME.size:end]
    if zlib.crc32(payload) != crc:
        return None
    try:
        return decode(payload), end
    except (struct.error, ValueError):
        return None


def next_frame(data: bytes, after: int, decode: Decoder[T], min_length: int) -> int | None:
    """The offset of the first valid frame after ``after``, scanning byte by byte."""
    for offset in range(after + 1, len(data) - FRAME.size - min_length + 1):
        length = int.from_bytes(data[offset:offset + 4], "little")
        if min_length <= length <= len(data) - offset - FRAME.size \
                and read_frame(data, offset, decode, min_length) is not None:
            return offset
    return None


def cut_tail(path: Path, offset: int) -> None:
    """Truncate ``path`` to ``offset`` durably (a torn tail found when reading it back)."""
    with open(path, "r+b") as handle:
        handle.truncate(offset)
        os.fsync(handle.fileno())


class AppendFile:
    """A file open for appending whose :attr:`end` is always the end of its last whole record.

    Creating it fsyncs the folder, so the file survives a crash once a record in it does.
    Not thread-safe: its owner serialises appends (and closes it only when no fsync of it is
    under way, since a closed descriptor's number may be reused at once).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        created = not path.exists()
        self._handle = open(path, "ab", buffering=0)  # noqa: SIM115 - kept open
        try:
            if created:
                fsync_dir(path.parent)
            self.end = os.fstat(self._handle.fileno()).st_size
        except OSError:
            self._handle.close()
            if created:
                path.unlink(missing_ok=True)
            raise
        #: A failed append whose cut-back failed too: the next append cuts first.
        self._torn = False

    def fileno(self) -> int:
        return self._handle.fileno()

    def append(self, data: bytes) -> None:
        """Write all of ``data`` after the last whole record, or raise ``OSError`` with the
        file cut back to it."""
        fileno = self._handle.fileno()
        try:
            if self._torn:
                os.ftruncate(fileno, self.end)
                self._torn = False
            _write_all(fileno, data)
        except OSError:
            self._torn = True
            with contextlib.suppress(OSError):  # if it fails, the next append cuts first
                os.ftruncate(fileno, self.end)
                self._torn = False
            raise
        self.end += len(data)

    def cut(self, end: int) -> None:
        """Drop what follows ``end`` (records whose fsync failed), and fsync the cut."""
        self.end = end
        self._torn = True
        os.ftruncate(self._handle.fileno(), end)
        self._torn = False
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()


def _write_all(fileno: int, data: bytes) -> None:
    """Write all of ``data``; a short write is continued, and one that writes nothing fails."""
    view = memoryview(data)
    while view:
        written = os.write(fileno, view)
        if written <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]
