"""A stream's counters since the node started, as Firehose's CloudWatch metrics count them
(IncomingRecords, DeliveryTo*.Records, SucceedProcessing.Records, DataFreshness...), shown by
DescribeDeliveryStream (``LoghavenMetrics``) and ``_nodes/stats`` (``streams``).

The counters live in memory and start at zero with the node; what is buffered (records,
bytes, the oldest record's age) is read from the stream's buffer, so it survives restarts.
"""

from __future__ import annotations

import threading
from typing import Any

#: The counters, in the order they are shown: records and bytes put, delivered (a 409 on
#: a record delivered before a restart included), Ok / Dropped / ProcessingFailed after the
#: transformation, failed to deliver (then backed up), written to backups, backup writes that
#: failed, retry rounds, and records refused at the put (ServiceUnavailableException).
COUNTERS = (
    "incoming_records", "incoming_bytes",
    "delivered_records", "delivered_bytes",
    "transformed_records", "dropped_records", "processing_failed_records",
    "failed_records", "backed_up_records", "backup_failures",
    "retries", "rejected_records",
)


class StreamMetrics:
    """Thread-safe: producers count incoming records while a delivery counts the rest."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(COUNTERS, 0)
        self._last_error: str | None = None
        self._last_error_ms: int | None = None
        self._last_delivery_ms: int | None = None

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, count in counts.items():
                self._counts[name] += count

    def delivered(self, records: int, size: int, now_ms: int) -> None:
        with self._lock:
            self._counts["delivered_records"] += records
            self._counts["delivered_bytes"] += size
            self._last_delivery_ms = now_ms

    def error(self, message: str, now_ms: int) -> None:
        """The latest failure (a delivery, a transformation or a backup), for operators."""
        with self._lock:
            self._last_error, self._last_error_ms = message, now_ms

    def count(self, name: str) -> int:
        with self._lock:
            return self._counts[name]

    def render(self, buffered: dict[str, int | None], now_ms: int) -> dict[str, Any]:
        """The counters and the buffer's state; ``oldest_buffered_record_age_millis`` is
        Firehose's DataFreshness (0 with nothing buffered)."""
        oldest = buffered.get("oldest_arrival_ms")
        with self._lock:
            return {**self._counts,
                    "buffered_records": buffered.get("records") or 0,
                    "buffered_bytes": buffered.get("bytes") or 0,
                    "oldest_buffered_record_age_millis":
                        0 if oldest is None else max(0, now_ms - oldest),
                    "last_delivery_millis": self._last_delivery_ms,
                    "last_error": self._last_error,
                    "last_error_millis": self._last_error_ms}
