"""Generated ``_bulk`` bodies written once to a temporary file, then replayed.

Generating a WAF document costs about 20 µs of Python. Doing that inside a
timed ingest loop would charge the generator's CPU to the system under test on
a 2-core machine, so each data set is generated before the clock starts and
both Loghaven and the raw-tantivy baseline read exactly the same bytes back.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from loghaven.bench.generators import BulkBody


@dataclass
class Spool:
    """An append-only file of bulk bodies with their offsets."""

    path: Path
    entries: list[tuple[int, int, int, int]] = field(default_factory=list)  # off, len, docs, src

    @classmethod
    def write(cls, path: Path, bodies: Iterable[BulkBody]) -> Spool:
        spool = cls(path)
        offset = 0
        with open(path, "wb") as out:
            for body in bodies:
                out.write(body.body)
                spool.entries.append((offset, len(body.body), body.docs, body.source_bytes))
                offset += len(body.body)
        return spool

    @property
    def docs(self) -> int:
        return sum(e[2] for e in self.entries)

    @property
    def source_bytes(self) -> int:
        """Bytes of the documents themselves (NDJSON lines without action lines)."""
        return sum(e[3] for e in self.entries)

    @property
    def body_bytes(self) -> int:
        return sum(e[1] for e in self.entries)

    def bodies(self) -> Iterator[tuple[bytes, int]]:
        """Every body in order, with its document count."""
        with open(self.path, "rb") as f:
            for _off, length, docs, _src in self.entries:
                yield f.read(length), docs

    def queue(self) -> SpoolQueue:
        return SpoolQueue(self)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


class SpoolQueue:
    """Hands each body to exactly one of several client threads, in order."""

    def __init__(self, spool: Spool) -> None:
        self._spool = spool
        self._next = 0
        self._lock = threading.Lock()
        self._fd = os.open(spool.path, os.O_RDONLY)

    def take(self) -> tuple[bytes, int] | None:
        with self._lock:
            if self._next >= len(self._spool.entries):
                return None
            off, length, docs, _src = self._spool.entries[self._next]
            self._next += 1
        return os.pread(self._fd, length, off), docs

    def close(self) -> None:
        os.close(self._fd)
