"""The counters of ``_plugins/_sql/stats``: requests ever, and requests and failures within
the last interval (the plugin's ``plugins.query.metrics.rolling_interval``, 60 s)."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

#: The failure kinds the plugin counts: the node's fault, and the request's.
SYSTEM, CLIENT = "failed_request_count_syserr", "failed_request_count_cuserr"


class SqlStats:
    def __init__(self, interval_s: float = 60.0) -> None:
        self.interval_s = interval_s
        self._total = 0
        self._recent: deque[tuple[float, str | None]] = deque()
        self._lock = threading.Lock()

    def record(self, failure: str | None = None) -> None:
        """One request, and how it failed (:data:`SYSTEM`, :data:`CLIENT`) if it did."""
        with self._lock:
            self._total += 1
            self._recent.append((time.monotonic(), failure))

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            horizon = time.monotonic() - self.interval_s
            while self._recent and self._recent[0][0] < horizon:
                self._recent.popleft()
            failures = [f for _, f in self._recent]
            return {"request_total": self._total, "request_count": len(self._recent),
                    SYSTEM: failures.count(SYSTEM), CLIENT: failures.count(CLIENT),
                    "failed_request_count_cb": 0, "circuit_breaker": 0}
