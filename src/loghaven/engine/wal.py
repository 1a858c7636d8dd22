"""The write-ahead log of one index: acknowledged operations not yet committed to tantivy.

Records are framed ``[length u32][crc32 u32][payload]`` so a torn tail left by ``kill -9``
is detected and cut off on replay. Files are named by the first sequence number they hold;
after a commit, files whose operations are all committed are deleted. A failed append is
cut back to the last whole record, and a failed fsync fails every later sync until the
next commit, so nothing is reported durable that may not be on disk.
"""

from __future__ import annotations

import contextlib
import errno
import os
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_FRAME = struct.Struct("<II")
_HEADER = struct.Struct("<qqqBI")  # seq_no, version, timestamp_ms, op code, id length

OP_INDEX = 1
OP_DELETE = 2


@dataclass(slots=True)
class Operation:
    """One write as logged: ``source`` is the exact bytes the user sent (empty for delete)."""

    seq_no: int
    op: int
    doc_id: str
    version: int
    source: bytes = b""
    timestamp_ms: int = 0

    def frame(self) -> tuple[bytes, bytes, bytes]:
        """The record as three parts to write in a row (the source is not copied)."""
        doc_id = self.doc_id.encode()
        header = _HEADER.pack(self.seq_no, self.version, self.timestamp_ms, self.op,
                              len(doc_id)) + doc_id
        length = len(header) + len(self.source)
        return _FRAME.pack(length, zlib.crc32(self.source, zlib.crc32(header))), header, \
            self.source

    @classmethod
    def decode(cls, payload: bytes) -> Operation:
        seq_no, version, ts, op, id_len = _HEADER.unpack_from(payload)
        start = _HEADER.size
        doc_id = payload[start:start + id_len].decode()
        return cls(seq_no, op, doc_id, version, payload[start + id_len:], ts)


class WriteAheadLog:
    """Append, fsync, replay and truncate; one instance per index, thread-safe.

    Appending only writes; :meth:`sync` fsyncs, outside the caller's index lock, so that
    the writes of concurrent requests share one fsync (group commit) and no writer waits
    for the disk while holding the index.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        #: Held for an fsync and for closing the file, which must not happen during one.
        self._sync_lock = threading.Lock()
        self._file = None
        self._file_first_seq: int | None = None
        self._dirty = False
        #: Where the current file's last whole record ends: a failed append is cut back here.
        self._end = 0
        #: Set by a failed fsync: what was appended since the last good one may not be on
        #: disk, so appends and syncs fail until a commit has made it durable and rolled.
        self.failed: OSError | None = None
        #: A failed append whose cut-back failed too: the next append cuts first.
        self._torn = False

    def _check_failed(self) -> None:
        if self.failed is not None:
            raise OSError(self.failed.errno, f"an earlier fsync of the write-ahead log failed "
                          f"({self.failed.strerror}); writes resume after the next commit")

    def _files(self) -> list[tuple[int, Path]]:
        found = []
        for path in self.folder.glob("*.log"):
            try:
                found.append((int(path.stem), path))
            except ValueError:
                continue
        return sorted(found)

    def replay(self, after_seq_no: int) -> Iterator[Operation]:
        """Operations with seq_no > ``after_seq_no``, in order; cuts a torn tail off the last file."""
        files = self._files()
        for position, (_, path) in enumerate(files):
            data = path.read_bytes()
            offset = 0
            while offset + _FRAME.size <= len(data):
                length, crc = _FRAME.unpack_from(data, offset)
                payload = data[offset + _FRAME.size:offset + _FRAME.size + length]
                if len(payload) != length or zlib.crc32(payload) != crc:
                    break
                offset += _FRAME.size + length
                operation = Operation.decode(payload)
                if operation.seq_no > after_seq_no:
                    yield operation
            if offset != len(data) and position == len(files) - 1:
                with open(path, "r+b") as handle:
                    handle.truncate(offset)
                    os.fsync(handle.fileno())

    def append(self, operations: list[Operation]) -> None:
        """Write the operations; they are on disk once a :meth:`sync` begun after this returns.

        A failed or short write (a full disk) is cut back to the last whole record, so the
        file never holds a partial record followed by good ones, and raises ``OSError``: the
        operations are not in the log.
        """
        if not operations:
            return
        data = b"".join([part for op in operations for part in op.frame()])
        with self._lock:
            self._check_failed()
            if self._file is None:
                first = operations[0].seq_no
                path = self.folder / f"{first:020d}.log"
                handle = open(path, "ab", buffering=0)  # noqa: SIM115 - kept open
                try:
                    _fsync_dir(self.folder)
                except OSError:
                    handle.close()
                    path.unlink(missing_ok=True)
                    raise
                self._file, self._file_first_seq, self._end = handle, first, 0
            fileno = self._file.fileno()
            try:
                if self._torn:
                    os.ftruncate(fileno, self._end)
                    self._torn = False
                _write_all(fileno, data)
            except OSError:
                self._torn = True
                with contextlib.suppress(OSError):  # if it fails, the next append cuts first
                    os.ftruncate(fileno, self._end)
                    self._torn = False
                raise
            self._end += len(data)
            self._dirty = True

    def sync(self) -> None:
        """fsync what has been appended; a caller arriving during an fsync waits for it and
        then fsyncs again only if more was appended meanwhile.

        After a failed fsync the kernel may have dropped the unwritten pages and a retry
        would wrongly succeed, so every later sync fails too, until :meth:`roll` after a
        commit (which made the operations durable in the splits).
        """
        with self._sync_lock:
            with self._lock:
                self._check_failed()
                if self._file is None or not self._dirty:
                    return
                self._dirty = False
                fileno = self._file.fileno()
            try:
                os.fsync(fileno)  # appends go on meanwhile; they set _dirty again
            except OSError as error:
                with self._lock:
                    self.failed = error
                raise

    def roll(self) -> None:
        """Close the current file so that the next append starts a new one.

        Called after a commit: the file is closed even if its fsync fails, and a failed
        state ends, since the committed splits now hold its operations.
        """
        with self._sync_lock, self._lock:
            self.failed = None
            if self._file is not None:
                try:
                    os.fsync(self._file.fileno())
                finally:
                    self._file.close()
                    self._file = None
                    self._dirty = False

    def truncate(self, committed_seq_no: int) -> None:
        """Delete closed files whose operations are all at or below ``committed_seq_no``."""
        with self._lock:
            files = self._files()
            current = self._file_first_seq if self._file is not None else None
            for position, (first, path) in enumerate(files):
                if first == current:
                    continue
                next_first = files[position + 1][0] if position + 1 < len(files) else None
                if next_first is not None and next_first - 1 <= committed_seq_no:
                    path.unlink(missing_ok=True)
                elif next_first is None and current is None:
                    # the last closed file: all of it was committed if the log was rolled
                    # at the commit point, which refresh guarantees
                    path.unlink(missing_ok=True)

    def close(self) -> None:
        self.roll()


def _write_all(fileno: int, data: bytes) -> None:
    """Write all of ``data``; a short write is continued, and one that writes nothing fails."""
    view = memoryview(data)
    while view:
        written = os.write(fileno, view)
        if written <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
