"""Splunk's HEC status codes: every answer of the collector endpoints is ``{"text", "code"}``
with Splunk's HTTP status (the table of "Troubleshoot HTTP Event Collector").

A refusal is a :class:`HecError` (a LoghavenError, so the edge's and the guard's machinery
carry it), rendered by api/hec.py as Splunk renders it.
"""

from __future__ import annotations

from typing import Any

from loghaven.errors import LoghavenError

#: code → (HTTP status, text), as Splunk documents them.
CODES: dict[int, tuple[int, str]] = {
    0: (200, "Success"),
    1: (403, "Token disabled"),
    2: (401, "Token is required"),
    3: (401, "Invalid authorization"),
    4: (403, "Invalid token"),
    5: (400, "No data"),
    6: (400, "Invalid data format"),
    7: (400, "Incorrect index"),
    8: (500, "Internal server error"),
    9: (503, "Server is busy"),
    10: (400, "Data channel is missing"),
    11: (400, "Invalid data channel"),
    12: (400, "Event field is required"),
    13: (400, "Event field cannot be blank"),
    14: (400, "ACK is disabled"),
    15: (400, "Error in handling indexed fields"),
    16: (400, "Query string authorization is not enabled"),
    17: (200, "HEC is healthy"),
    18: (503, "HEC is unhealthy, queues are full"),
    19: (503, "HEC is unhealthy, ack service unavailable"),
    20: (503, "HEC is unhealthy, queues are full, ack service unavailable"),
}

SUCCESS = 0
TOKEN_DISABLED, TOKEN_REQUIRED, INVALID_AUTHORIZATION, INVALID_TOKEN = 1, 2, 3, 4
NO_DATA, INVALID_DATA_FORMAT, INCORRECT_INDEX, INTERNAL_ERROR, SERVER_BUSY = 5, 6, 7, 8, 9
CHANNEL_MISSING, INVALID_CHANNEL, EVENT_REQUIRED, EVENT_BLANK, ACK_DISABLED = 10, 11, 12, 13, 14
INDEXED_FIELDS, QUERY_STRING_AUTH = 15, 16
HEALTHY, UNHEALTHY_QUEUES, UNHEALTHY_ACKS, UNHEALTHY_BOTH = 17, 18, 19, 20


def body(code: int, **extra: Any) -> dict[str, Any]:
    """Splunk's answer body of ``code`` (``invalid-event-number``, ``ackId`` as extra)."""
    return {"text": CODES[code][1], "code": code, **extra}


class HecError(LoghavenError):
    """A refusal with Splunk's code; ``event`` is the 0-based number of the event that made
    it (Splunk's ``invalid-event-number``), when one did."""

    def __init__(self, code: int, *, event: int | None = None) -> None:
        status, text = CODES[code]
        super().__init__(text, status=status, type="hec_exception")
        self.code = code
        self.event = event

    def to_body(self) -> dict[str, Any]:
        extra = {} if self.event is None else {"invalid-event-number": self.event}
        return body(self.code, **extra)
