"""A file's records cut into bulk batches, and the ordered acknowledgement that moves its
checkpoint.

Batches of one file may be answered out of order (several senders); the checkpoint only
moves to the end of the longest run of answered batches from the start, so it never counts a
record whose bulk was not answered. Each record of a resumable source carries an id made of
the source's identity and its position (``create``), so the records a killed run sent after
its last checkpoint are recognised (409, counted as already there) instead of indexed twice.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field


def id_prefix(key: str | None, version: str) -> str | None:
    if key is None:
        return None
    return hashlib.sha256(f"{key}\0{version}".encode()).hexdigest()[:16]


@dataclass
class Batch:
    """The records of a file up to ``end`` (exclusive) since the previous batch, in order."""

    seq: int
    end: int = 0
    docs: list[tuple[str | None, bytes]] = field(default_factory=list)
    size: int = 0
    errors: list[str] = field(default_factory=list)


class FileProgress:
    """The answered batches of one file; ``on_checkpoint(acked, done)`` is called, under
    the lock, whenever the acknowledged prefix moves or the file is complete."""

    def __init__(self, acked: int, on_checkpoint: Callable[[int, bool], None]) -> None:
        self.acked = acked
        self.on_checkpoint = on_checkpoint
        self.lock = threading.Lock()
        self.ends: dict[int, int] = {}
        self.next_seq = 0
        self.sent = 0
        self.answered = 0
        self.read_all = False
        self.failure: str | None = None

    def sent_batch(self) -> None:
        with self.lock:
            self.sent += 1

    def answered_batch(self, batch: Batch) -> None:
        with self.lock:
            self.answered += 1
            self.ends[batch.seq] = batch.end
            moved = False
            while self.next_seq in self.ends:
                self.acked = self.ends.pop(self.next_seq)
                self.next_seq += 1
                moved = True
            if moved and not self._complete():
                self.on_checkpoint(self.acked, False)
            self._finish_if_complete()

    def failed(self, reason: str) -> None:
        with self.lock:
            self.answered += 1
            if self.failure is None:
                self.failure = reason

    def finished_reading(self) -> None:
        with self.lock:
            self.read_all = True
            self._finish_if_complete()

    def _complete(self) -> bool:
        return self.read_all and self.failure is None and self.answered == self.sent

    def _finish_if_complete(self) -> None:
        if self._complete():
            self.on_checkpoint(self.acked, True)
