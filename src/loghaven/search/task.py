"""A running search's cancellation and deadline, checked between splits and between phases.

tantivy cannot stop a split's search or aggregation half-way, so a search gives up at the
seams it has: before each split's leaf search or aggregation, and between the query,
aggregation and fetch phases. A cancelled search (its client went away, the node is shutting
down) raises :class:`TaskCancelled` there; a search past its ``timeout`` searches no more
splits and answers with what it has and ``"timed_out": true``, as Elasticsearch's shards do.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from loghaven.errors import LoghavenError


class TaskCancelled(LoghavenError):
    type = "task_cancelled_exception"
    status = 400


class Cancellation:
    """Set once by whoever gives up on the work; read by every search of one HTTP request."""

    def __init__(self) -> None:
        self.reason: str | None = None

    def cancel(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason

    def check(self) -> None:
        if self.reason is not None:
            raise TaskCancelled(f"task cancelled [{self.reason}]")


class SearchTask:
    """One search: the cancellation it answers to and the deadline its ``timeout`` sets."""

    def __init__(self, cancellation: Cancellation | None = None,
                 timeout_ms: int | None = None) -> None:
        self.cancellation = cancellation or Cancellation()
        self.deadline = None if timeout_ms is None or timeout_ms < 0 \
            else time.monotonic() + timeout_ms / 1000
        self.timed_out = False

    def check(self) -> None:
        """Raise :class:`TaskCancelled` if the search was cancelled."""
        self.cancellation.check()

    def out_of_time(self) -> bool:
        """Whether the search must stop taking on splits (cancelled raises instead)."""
        self.check()
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self.timed_out = True
        return self.timed_out


class RunningSearches:
    """The cancellations of the searches a node is serving, so that shutdown can stop them."""

    def __init__(self) -> None:
        self._live: set[Cancellation] = set()
        self._lock = threading.Lock()
        self._closing: str | None = None

    @contextmanager
    def track(self) -> Iterator[Cancellation]:
        cancellation = Cancellation()
        with self._lock:
            if self._closing is not None:
                cancellation.cancel(self._closing)
            self._live.add(cancellation)
        try:
            yield cancellation
        finally:
            with self._lock:
                self._live.discard(cancellation)

    def cancel_all(self, reason: str) -> None:
        """Cancel every running search, and every one that starts from now on."""
        with self._lock:
            self._closing = reason
            for cancellation in self._live:
                cancellation.cancel(reason)
