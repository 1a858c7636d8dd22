"""Events the node records about itself (audit events, error and slow log entries), kept in a
JSON-lines file and in hidden daily indices.

Recording (:meth:`EventSink.put`) only serializes the event into a bounded in-memory queue:
a request never waits on a disk or an index. A scheduler job calls :meth:`EventSink.flush`
(every second), which appends the queued events to the file (rotated by size) and writes
them to the day's hidden index ``<prefix>YYYY.MM.dd`` through the write service, one bulk per
flush. When the queue is full, events are dropped and counted, and the count is logged at the
next flush. A failed index write is logged and counted; the file still has the events.
"""

from __future__ import annotations

import datetime
import logging
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

import orjson

from loghaven.engine.catalog import Catalog
from loghaven.engine.documents_state import WriteRequest
from loghaven.errors import LoghavenError, ResourceAlreadyExists
from loghaven.ingest.bulk import BulkItem
from loghaven.ingest.service import WriteService

#: Events waiting for the next flush (OpenSearch's audit ``max_queue_len`` default).
MAX_QUEUE_LEN = 100_000


class EventSink:
    """One stream of events: its file, its daily indices, its queue and counters."""

    def __init__(self, name: str, write_service: WriteService, file: Path, index_prefix: str,
                 mapping: dict[str, Any], *, max_bytes: int, backups: int,
                 log: logging.Logger, max_queue: int = MAX_QUEUE_LEN) -> None:
        #: What the events are, in messages ("audit": "dropped 5 audit events").
        self.name = name
        self.write_service = write_service
        self.file = file
        self.index_prefix = index_prefix
        self.mapping = mapping
        self.max_bytes = max_bytes
        self.backups = backups
        self.max_queue = max_queue
        self.log = log
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._queue: list[tuple[str, bytes]] = []
        self._writer: logging.Logger | None = None
        self.recorded = self.dropped = self.written = self.failed = 0
        self._dropped_reported = 0

    def put(self, event: dict[str, Any], now: datetime.datetime) -> None:
        """Queue one event for the day of ``now`` (UTC); dropped when the queue is full."""
        line = orjson.dumps(event, default=str)
        with self._lock:
            if len(self._queue) >= self.max_queue:
                self.dropped += 1
                return
            self._queue.append((self.index_prefix + now.strftime("%Y.%m.%d"), line))
            self.recorded += 1

    def flush(self) -> None:
        """Write the queued events to the file, then to their indices (one bulk)."""
        with self._flushing:
            with self._lock:
                events, self._queue = self._queue, []
                dropped = self.dropped - self._dropped_reported
                self._dropped_reported = self.dropped
            if dropped:
                self.log.warning("%s queue full (%d events): dropped %d %s events", self.name,
                                 self.max_queue, dropped, self.name)
            if not events:
                return
            writer = self._open_file()
            for _index, line in events:
                writer.info(line.decode())
            self._index(events)

    def _open_file(self) -> logging.Logger:
        """A logger of its own (not the root's: these lines never go to the server's output)."""
        if self._writer is None:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            handler = RotatingFileHandler(self.file, maxBytes=self.max_bytes,
                                          backupCount=self.backups, encoding="utf-8")
            handler.setFormatter(logging.Formatter("%(message)s"))
            writer = logging.Logger(f"loghaven.events.{self.file.name}")
            writer.propagate = False
            writer.addHandler(handler)
            self._writer = writer
        return self._writer

    def _index(self, events: list[tuple[str, bytes]]) -> None:
        ready = {index for index in {index for index, _line in events}
                 if self._create_index(index)}
        items = [BulkItem("index", index, WriteRequest("index", source=line))
                 for index, line in events if index in ready]
        self.failed += len(events) - len(items)
        if not items:
            return
        try:
            response = self.write_service.bulk(items, refresh=None)
        except LoghavenError as error:  # e.g. the disk is full: the file has the events
            self.failed += len(items)
            self.log.warning("%s events not indexed (they are in %s): %s", self.name,
                             self.file, error.reason)
            return
        failed = [item for item in response["items"] if "error" in item["index"]]
        self.failed += len(failed)
        self.written += len(items) - len(failed)
        if failed:
            self.log.warning("%d %s events not indexed (they are in %s): %s", len(failed),
                             self.name, self.file, failed[0]["index"]["error"]["reason"])

    def _create_index(self, name: str) -> bool:
        """Whether the day's index exists, created hidden (``*`` does not match it) as
        OpenSearch's system indices are to ordinary searches; never auto-created visible."""
        catalog = self.write_service.catalog
        if name in catalog.indices:
            return True
        try:
            catalog.create_index(name, {"settings": {"index.hidden": True},
                                        "mappings": self.mapping})
        except ResourceAlreadyExists:
            pass
        except LoghavenError as error:
            self.log.warning("%s events not indexed (they are in %s): cannot create the index "
                             "[%s]: %s", self.name, self.file, name, error.reason)
            return False
        return True

    def expire(self, retention: datetime.timedelta, now: datetime.datetime) -> list[str]:
        """Delete the daily indices whose day ended more than ``retention`` before ``now``;
        the names deleted."""
        return expire_days(self.write_service.catalog, self.index_prefix,
                           (now - retention).timestamp())

    def stats(self) -> dict[str, int]:
        """Events recorded, waiting for the next flush, dropped on a full queue, indexed, and
        failed to index."""
        with self._lock:
            queued = len(self._queue)
        return {"recorded": self.recorded, "queued": queued, "dropped": self.dropped,
                "indexed": self.written, "index_failures": self.failed}

    def close(self) -> None:
        """Flush what is queued (the node is stopping) and close the file."""
        try:
            self.flush()
        except Exception:  # stopping must go on
            self.log.exception("flushing the %s events at shutdown failed", self.name)
        if self._writer is not None:
            for handler in self._writer.handlers:
                handler.close()


def expire_days(catalog: Catalog, prefix: str, cutoff: float) -> list[str]:
    """Delete the daily indices ``<prefix>YYYY.MM.dd`` whose whole (UTC) day ended at or
    before ``cutoff`` (epoch seconds); the names deleted. Other names under the prefix stay."""
    deleted = []
    for name, index in list(catalog.indices.items()):
        if not name.startswith(prefix):
            continue
        try:
            day = datetime.datetime.strptime(name[len(prefix):], "%Y.%m.%d").replace(
                tzinfo=datetime.UTC)
        except ValueError:  # not one of the daily indices
            continue
        if (day + datetime.timedelta(days=1)).timestamp() <= cutoff:
            catalog.delete_index(index)
            deleted.append(name)
    return deleted
