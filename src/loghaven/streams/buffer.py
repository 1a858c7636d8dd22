"""A stream's write-ahead buffer: records appended and fsynced before the producer is
answered, read back in order by the delivery, and dropped once delivered or backed up.

CONTRACT (issue 17; the buffer helper implements it). Thread-safe: producers append from
request threads while the stream's delivery reads and commits from a scheduler thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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


class StreamBuffer:
    def __init__(self, folder: Path, *, max_bytes: int) -> None:
        """Open (or create) the buffer in ``folder``; a torn tail left by kill -9 is cut."""
        raise NotImplementedError

    def append(self, records: list[bytes], arrival_ms: int) -> list[int]:
        """Append and fsync; the records' seqs. All or none: BufferFull, OSError (disk full)
        leave nothing appended."""
        raise NotImplementedError

    def pending(self, max_bytes: int, max_records: int | None = None) -> list[BufferedRecord]:
        """The oldest records not yet committed, in order, up to ``max_bytes`` of data (at
        least one record if there is any)."""
        raise NotImplementedError

    def commit(self, through_seq: int) -> None:
        """Records up to ``through_seq`` are done (delivered or backed up): durably, so that
        they are not delivered again after a restart; their space is freed."""
        raise NotImplementedError

    def stats(self) -> dict[str, int | None]:
        """``records``, ``bytes`` (pending data), ``oldest_arrival_ms`` (None when empty)."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def destroy(self) -> None:
        """Close and delete the folder (the stream was deleted)."""
        raise NotImplementedError
