"""A stream's write-ahead buffer: records appended and fsynced before the producer is
answered, read back in order by the delivery, and dropped once delivered or backed up.

On disk (the stream's folder): segment files ``<first seq>.seg`` of framed records
(storage/frames.py; payload ``[seq u64][arrival_ms i64][flags u8][data]``), and
``cursor.json``, the last committed seq, replaced atomically. A record's seq is its
position in the stream, from 1 and never reused, also across restarts and once everything
is committed (the cursor remembers it), so the delivery's ids stay idempotent.

- **Appends** are all or nothing per call: the records of a call are one write, the last
  one flagged, and the call returns only after an fsync. A failed write (ENOSPC) is cut
  back; a failed fsync cuts the file back to what an earlier fsync covered and retires it
  (Linux may drop unwritten pages and let a retry succeed), so the callers whose records
  it held get the error and nothing of theirs is delivered or comes back after a restart.
  Concurrent calls share fsyncs (group commit): each call costs at most one fsync, plus
  one of the full segment when it starts a new one (every ``SEGMENT_BYTES``).
- **Reads** start where the last commit ended (an offset kept in memory) and see only
  records whose fsync has returned; a commit writes the cursor durably before it deletes
  the segments it covers, so a crash between the two delivers nothing twice.
- **Opening** after ``kill -9`` cuts the last segment back to its last whole call (a torn
  record, or a call whose last record is missing: it was never acknowledged). A bad record
  anywhere else is damage and raises :class:`BufferDamaged`, naming the file and offset;
  the stream does not start until an operator moves the file aside.
- **The bound**: an append that would take the pending data past ``max_bytes``
  (``streams.buffer.max_bytes``) raises :class:`BufferFull`, and :meth:`StreamBuffer.stats`
  reports how much is waiting and since when.

Thread-safe: producers append from request threads while the stream's delivery reads and
commits from a scheduler thread. Locks are taken in the order read → sync → state.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import struct
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from loghaven.storage import frames
from loghaven.storage.files import fsync_dir, write_atomically

_HEADER = struct.Struct("<QqB")  # seq, arrival_ms, flags
#: Flag of the last record of an append call: records after it without one were never
#: acknowledged (the process died during the call).
_LAST = 1
SUFFIX = ".seg"
CURSOR = "cursor.json"
#: A segment is closed and a new one begun past this size; space is freed a segment at a
#: time, once all of its records are committed.
SEGMENT_BYTES = 16 << 20
#: How much a read takes from a segment at a time.
_BLOCK = 1 << 20
log = logging.getLogger("loghaven.streams")


@dataclass(frozen=True)
class BufferedRecord:
    #: Position in the stream, from 1, never reused: the delivery's idempotent ids
    #: (``<stream id>-<seq>``) come from it.
    seq: int
    #: When the record arrived (epoch millis): the time the index rotation names.
    arrival_ms: int
    data: bytes


class BufferFull(Exception):
    """Appending would pass the buffer's bound (``streams.buffer.max_bytes``)."""


class BufferDamaged(Exception):
    """A segment holds a bad record before its end (or the cursor is unreadable): damage on
    disk, not a crash during an append, so nothing after it is skipped silently."""

    def __init__(self, path: Path, offset: int, reason: str) -> None:
        super().__init__(f"stream buffer damaged: [{path}] at offset [{offset}]: {reason}; "
                         f"move the file aside to start the stream without its records")
        self.path = path
        self.offset = offset


@dataclass(slots=True)
class _Segment:
    first_seq: int
    path: Path
    #: The last whole record's seq (0 when it has none) and where it ends.
    last_seq: int
    size: int


@dataclass(frozen=True, slots=True)
class _Call:
    """An append whose fsync has not returned yet."""

    last_seq: int
    end: int
    records: int
    bytes: int


def _decode(payload: bytes) -> tuple[BufferedRecord, int]:
    seq, arrival_ms, flags = _HEADER.unpack_from(payload)
    return BufferedRecord(seq, arrival_ms, payload[_HEADER.size:]), flags


def _frames(data: bytes, start: int = 0) -> Iterator[tuple[BufferedRecord, int, int]]:
    """Records with their flags and end offsets, from ``start`` up to the first bad frame."""
    offset = start
    while (found := frames.read_frame(data, offset, _decode, _HEADER.size)) is not None:
        (record, flags), offset = found
        yield record, flags, offset


def _read(path: Path, start: int, stop: int) -> Iterator[tuple[BufferedRecord, int, int]]:
    """Like :func:`_frames` over ``path`` from ``start`` to ``stop`` (whole records), read a
    block at a time; a complete frame that does not check out is damage."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        return  # a segment whose fsync failed, deleted meanwhile: none of it was acknowledged
    with handle:
        handle.seek(start)
        data, base = b"", start
        while True:
            position = 0
            for record, flags, position in _frames(data):
                yield record, flags, base + position
            rest = len(data) - position
            if base + len(data) >= stop:
                if rest:
                    raise BufferDamaged(path, base + position, "bad record")
                return
            need = _BLOCK
            if rest >= frames.FRAME.size:
                length = frames.FRAME.unpack_from(data, position)[0]
                if rest >= frames.FRAME.size + length:
                    raise BufferDamaged(path, base + position, "checksum mismatch")
                need = max(need, frames.FRAME.size + length - rest)
            more = handle.read(min(need, stop - base - len(data)))
            if not more:
                return  # cut back meanwhile: what is gone was never acknowledged
            data, base = data[position:] + more, base + position


class StreamBuffer:
    def __init__(self, folder: Path, *, max_bytes: int,
                 segment_bytes: int = SEGMENT_BYTES) -> None:
        """Open (or create) the buffer in ``folder``; a torn tail left by kill -9 is cut."""
        self.folder = folder
        self.max_bytes = max_bytes
        self.segment_bytes = segment_bytes
        folder.mkdir(parents=True, exist_ok=True)
        #: The delivery's side (pending, commit); the fsync of the active segment and its
        #: closing; the state below, held while appends write.
        self._read_lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._lock = threading.Lock()
        self._closed = False
        self._committed = self._read_cursor()
        self._segments: list[_Segment] = []
        #: Offset in the first segment of the first record after the committed seq.
        self._head = 0
        self._active: frames.AppendFile | None = None
        self._unsynced: deque[_Call] = deque()
        #: Where the active segment's records covered by an fsync end.
        self._durable_end = 0
        #: Seqs up to here whose fsync failed: their calls were answered with the error.
        self._lost_through = 0
        self._records = 0
        self._bytes = 0
        self._oldest: int | None = None
        #: Positions of the records the last :meth:`pending` returned, for :meth:`commit`:
        #: seq → (segment's first seq, end offset, records and data bytes from the head).
        self._read_ahead: dict[int, tuple[int, int, int, int]] = {}
        last = self._load()
        self._next_seq = max(last, self._committed) + 1
        self._durable_seq = self._next_seq - 1

    # opening

    def _read_cursor(self) -> int:
        path = self.folder / CURSOR
        try:
            return int(orjson.loads(path.read_bytes())["committed_seq"])
        except FileNotFoundError:
            return 0
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            raise BufferDamaged(path, 0, f"unreadable cursor ({error})") from None

    def _load(self) -> int:
        """Read every segment once: cut a torn tail, count what is pending, delete what is
        wholly committed. The last whole record's seq."""
        found = sorted((int(path.stem), path) for path in self.folder.glob(f"*{SUFFIX}")
                       if path.stem.isdigit())
        previous = 0
        removed = False
        for position, (first, path) in enumerate(found):
            before = previous
            data = path.read_bytes()
            offset = whole = last = 0
            head: int | None = None
            call_records = call_bytes = 0
            for record, flags, end in _frames(data):
                if record.seq <= previous:
                    raise BufferDamaged(path, offset, f"record {record.seq} after {previous}")
                previous = record.seq
                if record.seq > self._committed:
                    if head is None and self._oldest is None:
                        head, self._oldest = offset, record.arrival_ms
                    call_records, call_bytes = call_records + 1, call_bytes + len(record.data)
                if flags & _LAST:
                    whole, last = end, record.seq
                    self._records += call_records
                    self._bytes += call_bytes
                    call_records = call_bytes = 0
                offset = end
            if whole < len(data):
                torn = offset == len(data) or \
                    frames.next_frame(data, offset, _decode, _HEADER.size) is None
                if position < len(found) - 1 or not torn:
                    raise BufferDamaged(path, offset if offset < len(data) else whole,
                                        "bad record" if offset < len(data) else
                                        "an append call cut short before the last segment")
                log.warning("stream buffer %s: the call being appended at offset %d when the "
                            "process stopped was never acknowledged; cut off", path, whole)
                frames.cut_tail(path, whole)
                if head is not None and head >= whole:
                    head = self._oldest = None
            elif position == len(found) - 1:
                with open(path, "rb") as handle:  # what a killed process left unsynced
                    os.fsync(handle.fileno())
            previous = last or before
            if last <= self._committed:
                path.unlink()
                removed = True
                continue
            if not self._segments:
                self._head = head or 0
            self._segments.append(_Segment(first, path, last, whole))
        if removed:
            fsync_dir(self.folder)
        return previous

    # appending

    def append(self, records: list[bytes], arrival_ms: int) -> list[int]:
        """Append and fsync; the records' seqs. All or none: BufferFull, OSError (disk full)
        leave nothing appended."""
        if not records:
            return []
        size = sum(len(data) for data in records)
        self._roll()
        with self._lock:
            self._check_open()
            if self._bytes + size > self.max_bytes:
                raise BufferFull(f"the buffer of [{self.folder.name}] holds [{self._bytes}] "
                                 f"bytes; [{size}] more would pass its bound of "
                                 f"[{self.max_bytes}] (streams.buffer.max_bytes)")
            first = self._next_seq
            parts: list[bytes] = []
            for number, data in enumerate(records):
                header = _HEADER.pack(first + number, arrival_ms,
                                      _LAST if number == len(records) - 1 else 0)
                parts += (frames.frame(header, data), header, data)
            if self._active is None:
                self._active = frames.AppendFile(self.folder / f"{first:020d}{SUFFIX}")
                self._durable_end = 0
                self._segments.append(_Segment(first, self._active.path, 0, 0))
            self._active.append(b"".join(parts))
            last = first + len(records) - 1
            self._next_seq = last + 1
            segment = self._segments[-1]
            segment.last_seq, segment.size = last, self._active.end
            self._unsynced.append(_Call(last, self._active.end, len(records), size))
            if not self._records:
                self._oldest = arrival_ms
            self._records += len(records)
            self._bytes += size
        self._sync(last)
        return list(range(first, last + 1))

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError(f"the buffer of [{self.folder.name}] is closed")

    def _roll(self) -> None:
        """Close the active segment once it is full, fsyncing what it holds first."""
        with self._lock:
            if self._active is None or self._active.end < self.segment_bytes:
                return
        with self._sync_lock, self._lock:
            if self._active is None or self._active.end < self.segment_bytes:
                return
            self._fsync_active()
            self._active.close()
            self._active = None

    def _sync(self, through: int) -> None:
        """Return once an fsync covers seq ``through``: one begun after it was written, by
        this call or by a concurrent one (group commit)."""
        with self._sync_lock, self._lock:
            if through <= self._durable_seq:
                return
            if through <= self._lost_through:
                raise OSError(errno.EIO, "an fsync of the stream buffer failed; the records "
                              "were not appended")
            self._fsync_active()

    def _fsync_active(self) -> None:
        """fsync the active segment's unsynced calls (sync and state locks held; the state
        lock is let go during the fsync so that other calls append meanwhile)."""
        if not self._unsynced or self._active is None:
            return
        active, through = self._active, self._unsynced[-1].last_seq
        self._lock.release()
        try:
            os.fsync(active.fileno())
        except OSError as error:
            self._lock.acquire()
            self._fail(error)
            raise
        self._lock.acquire()
        self._durable_seq = through
        while self._unsynced and self._unsynced[0].last_seq <= through:
            self._durable_end = self._unsynced.popleft().end

    def _fail(self, error: OSError) -> None:
        """After a failed fsync: cut the active segment back to its last fsynced record and
        retire it; the calls it held beyond that are lost (and answered with the error)."""
        assert self._active is not None
        self._lost_through = self._next_seq - 1
        self._records -= sum(call.records for call in self._unsynced)
        self._bytes -= sum(call.bytes for call in self._unsynced)
        self._unsynced.clear()
        if not self._records:
            self._oldest = None
        segment = self._segments[-1]
        segment.size = self._durable_end
        segment.last_seq = self._durable_seq if self._durable_seq >= segment.first_seq else 0
        log.error("stream buffer %s: fsync failed (%s); the records not yet acknowledged are "
                  "cut off and a new segment begun", segment.path, error)
        try:
            self._active.cut(self._durable_end)
        except OSError as cut_error:
            log.error("stream buffer %s: cannot cut back the records whose fsync failed (%s); "
                      "they may be delivered after a restart", segment.path, cut_error)
        finally:
            self._active.close()
            self._active = None
        if not segment.size:
            self._segments.pop()
            with contextlib.suppress(OSError):
                segment.path.unlink()
                fsync_dir(self.folder)

    # reading and committing

    def pending(self, max_bytes: int, max_records: int | None = None) -> list[BufferedRecord]:
        """The oldest records not yet committed, in order, up to ``max_bytes`` of data (at
        least one record if there is any) and ``max_records``: only records whose append
        has been acknowledged."""
        with self._read_lock:
            with self._lock:
                self._check_open()
                segments = [(s.first_seq, s.path, s.size) for s in self._segments]
                head, durable = self._head, self._durable_seq
            found: list[BufferedRecord] = []
            total = 0
            positions: dict[int, tuple[int, int, int, int]] = {}
            for first, path, size, start in _starts(segments, head):
                for record, _flags, end in _read(path, start, size):
                    full = total + len(record.data) > max_bytes or \
                        (max_records is not None and len(found) >= max_records)
                    if record.seq > durable or (found and full):
                        self._read_ahead = positions
                        return found
                    found.append(record)
                    total += len(record.data)
                    positions[record.seq] = (first, end, len(found), total)
            self._read_ahead = positions
            return found

    def commit(self, through_seq: int) -> None:
        """Records up to ``through_seq`` are done (delivered or backed up): durably, so that
        they are not delivered again after a restart; their space is freed. A seq before the
        last commit or after the last acknowledged record raises ValueError."""
        with self._read_lock:
            with self._lock:
                self._check_open()
                if through_seq < self._committed:
                    raise ValueError(f"cannot commit seq [{through_seq}]: already committed "
                                     f"through [{self._committed}]")
                if through_seq > self._durable_seq:
                    raise ValueError(f"cannot commit seq [{through_seq}]: the last record is "
                                     f"[{self._durable_seq}]")
                if through_seq == self._committed:
                    return
                segments = [(s.first_seq, s.path, s.size) for s in self._segments]
                head = self._head
            position = self._read_ahead.get(through_seq) or _walk(segments, head, through_seq)
            write_atomically(self.folder / CURSOR,
                             orjson.dumps({"committed_seq": through_seq}))
            self._read_ahead = {}
            with self._sync_lock, self._lock:
                self._committed = through_seq
                first, end, records, data_bytes = position
                self._records -= records
                self._bytes -= data_bytes
                count = 0  # the leading segments wholly committed (or empty)
                while count < len(self._segments) and \
                        self._segments[count].last_seq <= through_seq:
                    count += 1
                done, self._segments = self._segments[:count], self._segments[count:]
                if self._active is not None and not self._segments:
                    self._active.close()
                    self._active = None
                self._head = end if self._segments and self._segments[0].first_seq == first \
                    else 0
                self._oldest = self._arrival() if self._records else None
            for segment in done:
                segment.path.unlink(missing_ok=True)
            if done:
                fsync_dir(self.folder)

    def _arrival(self) -> int | None:
        """The arrival time of the first record after the committed ones."""
        try:
            with open(self._segments[0].path, "rb") as handle:
                handle.seek(self._head + frames.FRAME.size)
                return int(_HEADER.unpack(handle.read(_HEADER.size))[1])
        except (OSError, struct.error) as error:
            log.error("stream buffer %s: cannot read the oldest record (%s)", self.folder,
                      error)
            return None

    def stats(self) -> dict[str, int | None]:
        """``records``, ``bytes`` (pending data), ``oldest_arrival_ms`` (None when empty),
        and the bound ``max_bytes``."""
        with self._lock:
            return {"records": self._records, "bytes": self._bytes,
                    "oldest_arrival_ms": self._oldest, "max_bytes": self.max_bytes}

    def close(self) -> None:
        """fsync what is being appended and close; later calls raise ValueError."""
        with self._read_lock, self._sync_lock, self._lock:
            if self._closed:
                return
            self._closed = True
            if self._active is not None:
                try:
                    self._fsync_active()
                finally:
                    if self._active is not None:
                        self._active.close()
                        self._active = None

    def destroy(self) -> None:
        """Close and delete the folder (the stream was deleted), even if the last fsync
        fails: nothing in it is wanted any more."""
        try:
            self.close()
        finally:
            shutil.rmtree(self.folder)


def _starts(segments: list[tuple[int, Path, int]], head: int
            ) -> Iterator[tuple[int, Path, int, int]]:
    """Each segment with the offset to read it from: the head in the first one."""
    for number, (first, path, size) in enumerate(segments):
        yield first, path, size, head if number == 0 else 0


def _walk(segments: list[tuple[int, Path, int]], head: int, through: int
          ) -> tuple[int, int, int, int]:
    """Where the records up to ``through`` end: (segment's first seq, end offset, records
    and data bytes from the head), read from the segments."""
    position = (segments[0][0], head, 0, 0) if segments else (0, 0, 0, 0)
    records = total = 0
    for first, path, size, start in _starts(segments, head):
        for record, _flags, end in _read(path, start, size):
            if record.seq > through:
                return position
            records, total = records + 1, total + len(record.data)
            position = (first, end, records, total)
    return position
