"""What a bulk-by-scroll operation (``_reindex``, ``_update_by_query``,
``_delete_by_query``) counts and how it is throttled: ES's ``BulkByScrollTask.Status``.

One :class:`Progress` per operation is updated batch by batch by the thread doing the work and
read at any time by the tasks API (``GET _tasks?detailed``), which shows the same counters as
the final response. Throttling is ES's: with ``requests_per_second`` set, the next batch
starts no sooner than ``batch size / requests_per_second`` seconds after the previous one
started; the wait is counted in ``throttled_millis`` and ends early when the operation is
cancelled or rethrottled (``_rethrottle``).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from loghaven.engine.documents_state import WriteResult
from loghaven.errors import ActionRequestValidation, IllegalArgument, LoghavenError, VersionConflict
from loghaven.params import parse_int
from loghaven.search.scan import Match, Slice
from loghaven.search.task import Cancellation, TaskCancelled

UNLIMITED = math.inf
#: The longest a throttled operation sleeps before it looks at its cancellation again (a
#: request's own cancellation, set when its client goes away, does not wake it).
_POLL_SECONDS = 0.25
#: The counters each operation's response shows (ES leaves ``created`` out of the by-query
#: responses and ``updated`` out of ``_delete_by_query``'s; a task's status shows them all).
RESPONSE_FIELDS = {
    "reindex": ("updated", "created", "deleted"),
    "update": ("updated", "deleted"),
    "delete": ("deleted",),
}
_ALL_FIELDS = RESPONSE_FIELDS["reindex"]


def parse_requests_per_second(value: str | None) -> float:
    """ES's ``requests_per_second``: a positive number, or ``-1`` (the default) for none."""
    if value is None or value == "":
        return UNLIMITED
    try:
        rate = float(value)
    except ValueError:
        rate = 0.0
    if rate == -1:
        return UNLIMITED
    if not rate > 0 or math.isinf(rate) or math.isnan(rate):
        raise IllegalArgument("[requests_per_second] must be a float greater than 0. Use -1 "
                              "to disable throttling.")
    return rate


def parse_conflicts(value: Any) -> bool:
    """``conflicts``: whether to proceed past version conflicts (``proceed``) or abort."""
    if value not in ("abort", "proceed"):
        raise IllegalArgument(f"conflicts may only be \"proceed\" or \"abort\" but was "
                              f"[{value}]")
    return value == "proceed"


def parse_max_docs(value: Any) -> int | None:
    """``max_docs`` (or the legacy ``size``): a positive number of documents, or none."""
    if value is None or value == -1:
        return None
    if isinstance(value, str):
        value = parse_int(value, "max_docs")
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ActionRequestValidation(
            f"Validation Failed: 1: maxDocs should be greater than 0 if the request is "
            f"limited to some number of documents or -1 if it isn't but it was [{value}];")
    return value


def parse_slices(value: str | None) -> int | None:
    """``slices``: a positive number, or ``auto`` (None: one slice per shard, so one here)."""
    if value is None or value == "auto":
        return None
    try:
        slices = int(value)
    except ValueError:
        raise IllegalArgument("[slices] must be a positive integer or the string \"auto\"") \
            from None
    if slices < 1:
        raise IllegalArgument(f"[slices] must be a positive integer or the string \"auto\", "
                              f"but was [{slices}]")
    return slices


#: Reads one slice's batches (the slice, or None for all, and its ``max_docs`` share).
Reader = Callable[[Slice | None, int | None], Iterable[list[Match]]]
#: Writes one batch, counting its outcomes in the given progress.
Writer = Callable[[list[Match], "Progress"], None]


def run_batches(progress: Progress, read: Reader, write: Writer, *, slices: int | None,
                max_docs: int | None, cancellation: Cancellation) -> None:
    """The loop of every bulk-by-scroll operation: each slice's batches read, written,
    counted and throttled, until done, aborted by a failure or cancelled (the batches
    already written stay written; the progress says ``canceled``)."""
    for part, share, slice_progress in progress.parts(slices, max_docs):
        try:
            for matches in read(part, share):
                started = time.monotonic()
                slice_progress.batches += 1
                slice_progress.total += len(matches)
                write(matches, slice_progress)
                if slice_progress.aborted:
                    break
                slice_progress.throttle(started, len(matches), cancellation)
        except TaskCancelled:
            slice_progress.canceled = cancellation.reason
        if slice_progress.aborted or slice_progress.canceled:
            return


@dataclass
class Progress:
    """The live counters of one bulk-by-scroll operation."""

    requests_per_second: float = UNLIMITED
    total: int = 0
    updated: int = 0
    created: int = 0
    deleted: int = 0
    batches: int = 0
    version_conflicts: int = 0
    noops: int = 0
    throttled_seconds: float = 0.0
    #: When the throttled operation's next batch may start (``time.monotonic()``), if waiting.
    throttled_until: float | None = None
    #: Why the operation stopped early (ES's ``canceled``: ``"by user request"``).
    canceled: str | None = None
    failures: list[dict[str, Any]] = field(default_factory=list)
    #: A slice's number (``slice_id``) among its operation's ``slices``.
    slice_id: int | None = None
    #: The slices' own progress, when the operation runs in ``slices`` (then the counters
    #: above are theirs, summed).
    slices: list[Progress] = field(default_factory=list)
    _wake: threading.Event = field(default_factory=threading.Event, repr=False)

    # -- counting --

    def record(self, index: str, doc_id: str | None, outcome: WriteResult | LoghavenError,
               proceed_on_conflicts: bool) -> None:
        """Count one write's outcome; a failure that aborts the operation is kept."""
        if isinstance(outcome, WriteResult):
            if outcome.result == "noop":
                self.noops += 1
            elif outcome.result == "created":
                self.created += 1
            elif outcome.result in ("deleted", "not_found"):  # ES counts every delete
                self.deleted += 1
            else:
                self.updated += 1
            return
        if isinstance(outcome, VersionConflict):
            self.version_conflicts += 1
            if proceed_on_conflicts:
                return
        self.failures.append({"index": index, "id": doc_id,
                              "cause": {**outcome.to_cause(), "index": index},
                              "status": outcome.status})

    @property
    def aborted(self) -> bool:
        return bool(self.all_failures())

    def all_failures(self) -> list[dict[str, Any]]:
        return [f for part in self.slices for f in part.failures] + self.failures

    def parts(self, slices: int | None, max_docs: int | None,
              ) -> list[tuple[Slice | None, int | None, Progress]]:
        """The operation's slices: each one's documents, ``max_docs`` share and progress
        (ES divides the rate and ``max_docs`` among them). One slice: the whole, here."""
        if slices is None or slices == 1:
            return [(None, max_docs, self)]
        rate = self.requests_per_second / slices
        self.slices = [Progress(rate, slice_id=n) for n in range(slices)]
        return [(Slice(n, slices),
                 None if max_docs is None else max_docs // slices + (n < max_docs % slices),
                 part) for n, part in enumerate(self.slices)]

    # -- throttling --

    def throttle(self, batch_started: float, batch_size: int,
                 cancellation: Cancellation) -> None:
        """Wait until the next batch may start (``batch_started``: ``time.monotonic()`` when
        the previous batch started)."""
        while cancellation.reason is None:
            self._wake.clear()
            rate = self.requests_per_second
            until = batch_started + batch_size / rate if rate != UNLIMITED else 0.0
            remaining = until - time.monotonic()
            if remaining <= 0:
                break
            self.throttled_until = until
            waited = time.monotonic()
            self._wake.wait(min(remaining, _POLL_SECONDS))
            self.throttled_seconds += time.monotonic() - waited
        self.throttled_until = None

    def rethrottle(self, requests_per_second: float) -> None:
        """A new rate, which a waiting operation applies at once."""
        self.requests_per_second = requests_per_second
        for part in self.slices:
            part.rethrottle(requests_per_second / len(self.slices))
        self._wake.set()

    def interrupt(self) -> None:
        """End a wait between batches now (the operation was cancelled)."""
        for part in self.slices:
            part.interrupt()
        self._wake.set()

    # -- rendering --

    def status(self, fields: tuple[str, ...] = _ALL_FIELDS) -> dict[str, Any]:
        """ES's status object (a task's ``status``, the counters of the response); a sliced
        operation's sums its slices' and lists them under ``slices``."""
        parts = self.slices or [self]
        waits = [p.throttled_until for p in parts if p.throttled_until is not None]
        body: dict[str, Any] = {} if self.slice_id is None else {"slice_id": self.slice_id}
        body.update({name: sum(getattr(p, name) for p in parts)
                     for name in ("total", *fields)})
        body.update({name: sum(getattr(p, name) for p in parts)
                     for name in ("batches", "version_conflicts", "noops")})
        body.update({
            "retries": {"bulk": 0, "search": 0},
            "throttled_millis": sum(int(p.throttled_seconds * 1000) for p in parts),
            "requests_per_second": -1.0 if self.requests_per_second == UNLIMITED
            else float(self.requests_per_second),
            "throttled_until_millis": 0 if not waits
            else max(0, int((min(waits) - time.monotonic()) * 1000))})
        canceled = next((p.canceled for p in (self, *self.slices) if p.canceled), None)
        if canceled is not None:
            body["canceled"] = canceled
        if self.slices:
            body["slices"] = [part.status(fields) for part in self.slices]
        return body

    def response(self, took_ms: int, fields: tuple[str, ...] = _ALL_FIELDS,
                 ) -> tuple[int, dict[str, Any]]:
        """The operation's (HTTP status, ES response body): the worst failure's status."""
        failures = self.all_failures()
        status = max((failure["status"] for failure in failures), default=200)
        return status, {"took": took_ms, "timed_out": False, **self.status(fields),
                        "failures": failures}
