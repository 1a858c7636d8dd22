"""The error log: the node's own warnings and errors (the ``loghaven`` loggers, WARN and
above), with the stack trace of what raised them (every 5xx answer's: api/app.py logs it) and
the request being served (method, path and :mod:`loghaven.ops.origin`).

The handler only turns the record into an entry and hands it on (to an event sink's queue):
it never writes or blocks in the logging call. The sink's own warnings (the logs could not
be indexed) are left out, as they would queue an entry whose writing fails again.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from typing import Any

from loghaven.ops import origin

#: ES's level names where Python's differ.
LEVEL_NAMES = {"WARNING": "WARN", "CRITICAL": "FATAL"}


class ErrorLogHandler(logging.Handler):
    """Hands an entry for each record at WARN and above to ``write``."""

    def __init__(self, write: Callable[[dict[str, Any]], None], common: dict[str, Any],
                 ignored: str) -> None:
        super().__init__(logging.WARNING)
        self.write = write
        #: Fields of every entry (the node's and cluster's names).
        self.common = common
        #: The logger (and its children) whose records are left out: the sinks'.
        self.ignored = ignored
        self.formatter = logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == self.ignored or record.name.startswith(self.ignored + "."):
            return
        try:
            entry: dict[str, Any] = {
                "@timestamp": datetime.datetime.fromtimestamp(record.created, datetime.UTC)
                .isoformat(timespec="milliseconds"),
                "level": LEVEL_NAMES.get(record.levelname, record.levelname),
                "logger": record.name, "message": record.getMessage(), **self.common}
            if record.exc_info:
                entry["stacktrace"] = self.formatter.formatException(record.exc_info)
            now = origin.current()
            if now is not None:
                entry.update(now.fields(), method=now.method, path=now.path)
            self.write(entry)
        except Exception:  # a log call never fails the code that logs
            self.handleError(record)
