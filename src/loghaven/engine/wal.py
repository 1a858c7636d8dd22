"""The write-ahead log of one index: acknowledged operations not yet committed to tantivy.

Records are framed (storage/frames.py: length, CRC, payload) so a torn tail left by
``kill -9`` is detected and cut off on replay. Files are named by the first sequence number they hold;
after a commit, files whose operations are all committed are deleted.

Replay tells a torn tail from damage: a bad frame with no valid frame after it in the last
file is what a crash during an append leaves (cut off, with a warning); a bad frame followed
by a valid one, or a bad frame in an earlier file, is damage. Damage is never skipped: the
damaged file and every later one are moved to ``<index>/quarantine/<stamp>/`` (the readable
prefix stays in the log), replay raises :class:`WalDamaged` and the index stays red until
``loghaven recover-wal`` salvages the quarantined records (engine/recovery.py).

A failed append is cut back to the last whole record, and a failed fsync fails every later
sync until the next commit, so nothing is reported durable that may not be on disk.
"""

from __future__ import annotations

import logging
import os
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from loghaven.storage import frames
from loghaven.storage.files import fsync_dir as _fsync_dir
from loghaven.storage.files import write_atomically

_HEADER = struct.Struct("<qqqBI")  # seq_no, version, timestamp_ms, op code, id length

OP_INDEX = 1
OP_DELETE = 2
#: Folder of the index (beside ``wal/``) where damaged log files are kept aside.
QUARANTINE = "quarantine"
#: In a quarantine folder: what was damaged, until ``recover-wal`` renames it to RECOVERED.
DAMAGE = "damage.json"
RECOVERED = "recovered.json"
log = logging.getLogger("loghaven.engine")


class WalDamaged(Exception):
    """The log is damaged before its end; its records from there on are in quarantine."""


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
        return frames.frame(header, self.source), header, self.source

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
        self._file: frames.AppendFile | None = None
        self._file_first_seq: int | None = None
        self._dirty = False
        #: Set by a failed fsync: what was appended since the last good one may not be on
        #: disk, so appends and syncs fail until a commit has made it durable and rolled.
        self.failed: OSError | None = None
        #: Bytes appended since the log was opened, and how many of them an fsync (or a
        #: roll after a commit) has made durable: ``synced >= appended`` read after a write
        #: means that write is on disk, whatever the index's durability (HEC's acks).
        self.appended = 0
        self.synced = 0

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
        """Operations with seq_no > ``after_seq_no``, in order.

        Cuts a torn tail off the last file; on damage, quarantines and raises WalDamaged
        (after yielding the records before it: callers must not apply them piecemeal).
        """
        unresolved = pending_damage(self.folder.parent / QUARANTINE)
        if unresolved is not None:
            raise WalDamaged(unresolved)
        files = self._files()
        for position, (_, path) in enumerate(files):
            data = path.read_bytes()
            offset = 0
            while offset < len(data):
                frame = valid_frame(data, offset)
                if frame is None:
                    break
                operation, offset = frame
                if operation.seq_no > after_seq_no:
                    yield operation
            if offset == len(data):
                continue
            last = position == len(files) - 1
            if last and next_valid_frame(data, offset) is None:
                log.warning("write-ahead log %s: torn record at offset %d (a crash during an "
                            "append), cut off", path, offset)
                frames.cut_tail(path, offset)
                continue
            raise WalDamaged(self._quarantine(path, offset, [p for _, p in files[position:]]))

    def _quarantine(self, path: Path, offset: int, moved: list[Path]) -> str:
        """Move the damaged file and all later ones aside, keep the readable prefix in the log,
        record the damage; the reason for the index's red health."""
        stamp = time.strftime("%Y%m%dT%H%M%S")
        folder = self.folder.parent / QUARANTINE / f"{stamp}-{path.stem}"
        folder.mkdir(parents=True, exist_ok=True)
        reason = (f"write-ahead log damaged at [{path.name}] offset [{offset}]; the records "
                  f"from there on are kept in [{folder}]; run `loghaven recover-wal` to "
                  f"salvage them")
        prefix = path.read_bytes()[:offset]
        for each in moved:
            os.replace(each, folder / each.name)
        if prefix:
            write_atomically(path, prefix)
        write_atomically(folder / DAMAGE, orjson.dumps({
            "file": path.name, "offset": offset, "files": [p.name for p in moved],
            "reason": reason}))
        _fsync_dir(self.folder)
        log.error("%s", reason)
        return reason

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
                self._file = frames.AppendFile(self.folder / f"{first:020d}.log")
                self._file_first_seq = first
            self._file.append(data)
            self.appended += len(data)
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
                target = self.appended
                if self._file is None or not self._dirty:
                    self.synced = target
                    return
                self._dirty = False
                fileno = self._file.fileno()
            try:
                os.fsync(fileno)  # appends go on meanwhile; they set _dirty again
            except OSError as error:
                with self._lock:
                    self.failed = error
                raise
            self.synced = max(self.synced, target)

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
            self.synced = self.appended

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


def valid_frame(data: bytes, offset: int) -> tuple[Operation, int] | None:
    """The operation framed at ``offset`` and the offset after it, or None (frames.py)."""
    return frames.read_frame(data, offset, Operation.decode, _HEADER.size)


def next_valid_frame(data: bytes, after: int) -> int | None:
    """The offset of the first valid operation frame after ``after``."""
    return frames.next_frame(data, after, Operation.decode, _HEADER.size)


def pending_damage(quarantine: Path) -> str | None:
    """The reason recorded for quarantined damage not yet recovered, or None."""
    for marker in sorted(quarantine.glob(f"*/{DAMAGE}")):
        return str(orjson.loads(marker.read_bytes())["reason"])
    return None
