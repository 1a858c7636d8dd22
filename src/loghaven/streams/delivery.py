"""One stream's delivery: its scheduler job flushes the buffer by size and time.

A flush takes the oldest pending records (up to BufferingHints.SizeInMBs), runs the
transformation (records may be dropped, fail, or become several), sends the rest to the
destination, retries the retriable failures with doubling waits until
RetryOptions.DurationInSeconds has passed, and writes the backups: the records that failed
(``elasticsearch-failed``/``splunk-failed``, ``processing-failed``) and, with S3BackupMode
AllDocuments/AllEvents, every delivered record. Only when every record of the batch is
delivered, dropped or backed up is the buffer committed; a node stopping (or the stream
deleted) mid-flush leaves the batch buffered, and it is delivered again after the restart
under the same ids. When a backup cannot be written (object storage down), the batch stays
buffered and the flushes that follow retry the remaining backups first, as Firehose pauses a
stream whose failed records cannot be backed up.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from loghaven.storage.objects import ObjectStoreError
from loghaven.streams.backup import PROCESSING_FAILED, Backup, FailedRecord
from loghaven.streams.buffer import BufferedRecord, StreamBuffer
from loghaven.streams.metrics import StreamMetrics
from loghaven.streams.model import StreamConfig
from loghaven.streams.outgoing import Destination, Failure, Outgoing, Stopped
from loghaven.streams.transform import DROPPED, FAILED, OK, Transformation

log = logging.getLogger("loghaven.streams")

#: The first wait before a retry (seconds), doubling up to the last.
RETRY_FIRST, RETRY_MAX = 1.0, 30.0
#: After a failed backup, the next try waits this long, doubling up to the last.
BACKUP_RETRY_FIRST, BACKUP_RETRY_MAX = 1.0, 60.0
#: Backup modes that keep every delivered record too.
ALL_RECORDS = ("AllDocuments", "AllEvents")


@dataclass
class _Unfinished:
    """A batch whose backups are not all written yet: the writes left, then the commit."""

    through_seq: int
    writes: list[tuple[str, int, Callable[[], str]]]
    next_try: float = 0.0
    delay: float = BACKUP_RETRY_FIRST


@dataclass
class _Batch:
    delivered: list[Outgoing] = field(default_factory=list)
    failed: dict[str, list[FailedRecord]] = field(default_factory=dict)


class Delivery:
    def __init__(self, config: StreamConfig, stream_id: str, buffer: StreamBuffer,
                 transformation: Transformation, destination: Destination, backup: Backup,
                 metrics: StreamMetrics, *, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.stream_id = stream_id
        self.buffer = buffer
        self.transformation = transformation
        self.destination = destination
        self.backup = backup
        self.metrics = metrics
        self._clock = clock
        #: Set when the stream is deleted: a flush in progress stops at its next wait.
        self.halt = threading.Event()
        #: Held by a flush; deleting the stream takes it to wait for the flush to end.
        self.lock = threading.Lock()
        self._unfinished: _Unfinished | None = None
        hints = config.destination
        self.size_bytes = max(1, hints.size_mb) * 1024 * 1024
        self.interval_ms = hints.interval_s * 1000

    # --- the scheduler job ---------------------------------------------------------------

    def run(self, stopping: threading.Event) -> None:
        """Flush while a flush is due: the buffer holds SizeInMBs, or its oldest record is
        IntervalInSeconds old, or a batch's backups are to be retried."""
        with self.lock:
            while not (stopping.is_set() or self.halt.is_set()) and self.due():
                try:
                    if not self.flush(stopping):
                        return
                except Stopped:
                    return

    def due(self) -> bool:
        if self._unfinished is not None:
            return self._clock() >= self._unfinished.next_try
        stats = self.buffer.stats()
        oldest = stats.get("oldest_arrival_ms")
        if not stats.get("records") or oldest is None:
            return False
        return (stats.get("bytes") or 0) >= self.size_bytes \
            or self._now_ms() - oldest >= self.interval_ms

    # --- one flush -----------------------------------------------------------------------

    def flush(self, stopping: threading.Event) -> bool:
        """Deliver one batch and commit it; False when its backups could not all be written
        (the batch stays buffered). Raises Stopped when the node stops or the stream is
        deleted meanwhile."""
        if self._unfinished is None:
            records = self.buffer.pending(self.size_bytes)
            if not records:
                return False
            batch = self._deliver(records, stopping)
            self._unfinished = _Unfinished(records[-1].seq, self._backup_writes(batch))
        return self._finish()

    def _deliver(self, records: list[BufferedRecord], stopping: threading.Event) -> _Batch:
        batch = _Batch()
        outgoing = self._transform(records, batch)
        wait = self._waiter(stopping)
        started = self._clock()
        deadline = started + self.config.destination.retry_s
        delay, attempts = RETRY_FIRST, 0
        while outgoing:
            attempts += 1
            failures = self.destination.send(outgoing, wait)
            again: list[Outgoing] = []
            last: Failure | None = None
            for record, failure in zip(outgoing, failures, strict=True):
                if failure is None:
                    batch.delivered.append(record)
                elif failure.retriable and self._clock() < deadline:
                    again.append(record)
                    last = failure
                else:
                    self._failed(batch, self.destination.output_type, record, failure, attempts,
                                 self.destination.backup_fields(record))
            if again:
                assert last is not None
                self.metrics.add(retries=1)
                self.metrics.error(f"{last.code}: {last.message}", self._now_ms())
                pause = max(0.0, min(delay, deadline - self._clock()))
                log.warning("stream %s: %d records not delivered (%s: %s), retrying in %.1fs",
                            self.config.name, len(again), last.code, last.message, pause)
                wait(pause)
                delay = min(delay * 2, RETRY_MAX)
            outgoing = again
        size = sum(len(record.data) for record in batch.delivered)
        self.metrics.delivered(len(batch.delivered), size, self._now_ms())
        failed = len(batch.failed.get(self.destination.output_type, ()))
        if failed:
            self.metrics.add(failed_records=failed)
        return batch

    def _transform(self, records: list[BufferedRecord], batch: _Batch) -> list[Outgoing]:
        """The records to send, with their ids; failed ones go to ``batch``."""
        arrivals = {record.seq: record.arrival_ms for record in records}
        if not self.transformation.enabled:
            return [Outgoing(r.seq, r.arrival_ms, r.data, self._record_id(r.seq, None))
                    for r in records]
        outcomes = self.transformation.apply([(r.seq, r.arrival_ms, r.data) for r in records])
        per_seq = Counter(outcome.seq for outcome in outcomes)
        position: Counter[int] = Counter()
        outgoing: list[Outgoing] = []
        counts = Counter(outcome.result for outcome in outcomes)
        for outcome in outcomes:
            part = position[outcome.seq] if per_seq[outcome.seq] > 1 else None
            position[outcome.seq] += 1
            if outcome.result == OK:
                outgoing.append(Outgoing(outcome.seq, arrivals[outcome.seq], outcome.data,
                                         self._record_id(outcome.seq, part)))
            elif outcome.result == FAILED:
                self._failed(batch, PROCESSING_FAILED,
                             Outgoing(outcome.seq, arrivals[outcome.seq], outcome.data, None),
                             Failure(outcome.error_code or "Lambda.ProcessingFailed",
                                     outcome.error_message or "", False), outcome.attempts,
                             {"lambdaArn": self._lambda_arn()})
        self.metrics.add(transformed_records=counts[OK], dropped_records=counts[DROPPED],
                         processing_failed_records=counts[FAILED])
        if counts[FAILED]:
            self.metrics.error(f"{counts[FAILED]} records failed their transformation",
                               self._now_ms())
        return outgoing

    def _record_id(self, seq: int, part: int | None) -> str | None:
        if not self.config.destination.document_ids:
            return None
        return f"{self.stream_id}-{seq}" if part is None else f"{self.stream_id}-{seq}-{part}"

    def _failed(self, batch: _Batch, output_type: str, record: Outgoing, failure: Failure,
                attempts: int, extra: dict[str, object]) -> None:
        batch.failed.setdefault(output_type, []).append(FailedRecord(
            attempts=attempts, arrival_ms=record.arrival_ms, error_code=failure.code,
            error_message=failure.message, ending_ms=self._now_ms(), raw=record.data,
            extra=extra))

    def _lambda_arn(self) -> str:
        for processor in (self.config.destination.processing or {}).get("Processors", []):
            for parameter in processor.get("Parameters", []):
                if parameter.get("ParameterName") == "LambdaArn":
                    return str(parameter.get("ParameterValue", ""))
        return ""

    # --- backups and the commit ----------------------------------------------------------

    def _backup_writes(self, batch: _Batch) -> list[tuple[str, int, Callable[[], str]]]:
        now_ms = self._now_ms()
        writes: list[tuple[str, int, Callable[[], str]]] = []
        for output_type, failed in batch.failed.items():
            writes.append((output_type, len(failed),
                           lambda f=failed, t=output_type: self.backup.write_failed(f, t, now_ms)))
        if self.config.destination.backup_mode in ALL_RECORDS and batch.delivered:
            data = [record.data for record in batch.delivered]
            writes.append(("all records", len(data),
                           lambda: self.backup.write_records(data, now_ms)))
        return writes

    def _finish(self) -> bool:
        """Write the batch's remaining backups, then commit it."""
        unfinished = self._unfinished
        assert unfinished is not None
        while unfinished.writes:
            what, count, write = unfinished.writes[0]
            try:
                write()
            except Exception as error:  # ObjectStoreError, and whatever else stops a backup
                if not isinstance(error, (ObjectStoreError, OSError)):
                    log.exception("stream %s: backup failed", self.config.name)
                self.metrics.add(backup_failures=1)
                message = f"backing up {count} records ({what}) failed: {error}"
                self.metrics.error(message, self._now_ms())
                log.error("stream %s: %s; the records stay buffered and the backup is retried "
                          "in %.0fs", self.config.name, message, unfinished.delay)
                unfinished.next_try = self._clock() + unfinished.delay
                unfinished.delay = min(unfinished.delay * 2, BACKUP_RETRY_MAX)
                return False
            self.metrics.add(backed_up_records=count)
            unfinished.writes.pop(0)
        self.buffer.commit(unfinished.through_seq)
        self._unfinished = None
        return True

    # --- time ----------------------------------------------------------------------------

    def _waiter(self, stopping: threading.Event) -> Callable[[float], None]:
        def wait(seconds: float) -> None:
            end = time.monotonic() + seconds
            while True:
                if stopping.is_set() or self.halt.is_set():
                    raise Stopped
                left = end - time.monotonic()
                if left <= 0:
                    return
                self.halt.wait(min(left, 0.2))
        return wait

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)
