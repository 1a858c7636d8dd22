"""What a stream's delivery hands its destination, and what the destination answers.

A destination (streams/to_index.py, streams/to_splunk.py) sends one batch of records and says
for each whether it arrived, or why not and whether trying again may help; the delivery
(streams/delivery.py) owns the retries, the backups and the buffer's commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Outgoing:
    #: The buffered record it came from.
    seq: int
    arrival_ms: int
    data: bytes
    #: Its idempotent id: the document ``_id`` (None with Firehose's NO_DOCUMENT_ID), the
    #: Splunk backup's ``EventId``.
    record_id: str | None


@dataclass(frozen=True)
class Failure:
    """Why a record was not delivered, in Firehose's words for the backup (``errorCode``,
    ``errorMessage``)."""

    code: str
    message: str
    #: Whether another attempt may succeed (429, 5xx, a closed or blocked index, a
    #: destination out of reach), so the delivery retries it within the retry duration;
    #: the others are backed up at once.
    retriable: bool


class Stopped(Exception):
    """The node is stopping or the stream was deleted: the batch stays in the buffer."""


#: Waits that many seconds between attempts; raises Stopped when the wait is cut short.
Wait = Callable[[float], None]


class Destination(Protocol):
    #: The backup prefix of the records it could not deliver
    #: (``!{firehose:error-output-type}``).
    output_type: str

    def send(self, records: list[Outgoing], wait: Wait) -> list[Failure | None]:
        """Each record's failure, None when it was delivered."""
        ...

    def backup_fields(self, record: Outgoing) -> dict[str, Any]:
        """The destination's own fields of a failed record's backup line."""
        ...

    def close(self) -> None: ...
