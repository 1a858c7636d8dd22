"""Scroll and point-in-time contexts: snapshots of searchers kept alive until they expire.

A tantivy searcher is a point-in-time view: holding it keeps its segments readable, however
the index changes after. A scroll keeps its request and where its last page ended; a point in
time keeps only the snapshot (the user pages it with ``search_after``). Each use extends the
expiry by the given keep-alive; expired contexts are dropped on the next registry access.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from dataclasses import dataclass

from loghaven.errors import IllegalArgument, LoghavenError
from loghaven.search.leaf import Cursor
from loghaven.search.request import SearchRequest
from loghaven.search.root import Snapshot

#: ES's ``search.max_open_scroll_context`` and OpenSearch's ``point_in_time.max_keep_alive``.
MAX_OPEN_SCROLLS = 500
MAX_KEEP_ALIVE_MS = 24 * 3_600_000


@dataclass
class ScrollContext:
    snapshot: Snapshot
    request: SearchRequest
    cursor: Cursor | None
    total: int | None
    expires_at: float


@dataclass
class PitContext:
    snapshot: Snapshot
    created_ms: int
    keep_alive_ms: int
    expires_at: float


class SearchContextMissing(LoghavenError):
    type = "search_context_missing_exception"
    status = 404


class SearchContexts:
    """The live scroll and point-in-time contexts of a node."""

    def __init__(self) -> None:
        self._scrolls: dict[str, ScrollContext] = {}
        self._pits: dict[str, PitContext] = {}
        self._lock = threading.Lock()

    def _expire(self) -> None:
        now = time.monotonic()
        for table in (self._scrolls, self._pits):
            for key in [k for k, c in table.items() if c.expires_at <= now]:
                del table[key]

    # -- scrolls --

    def open_scroll(self, context: ScrollContext) -> str:
        with self._lock:
            self._expire()
            if len(self._scrolls) >= MAX_OPEN_SCROLLS:
                raise IllegalArgument(
                    f"Trying to create too many scroll contexts. Must be less than or equal to: "
                    f"[{MAX_OPEN_SCROLLS}]. This limit can be set by changing the "
                    f"[search.max_open_scroll_context] setting.")
            scroll_id = _new_id(b"scroll")
            self._scrolls[scroll_id] = context
            return scroll_id

    def scroll(self, scroll_id: str, keep_alive_ms: int | None) -> ScrollContext:
        with self._lock:
            self._expire()
            context = self._scrolls.get(scroll_id)
            if context is None:
                raise SearchContextMissing(f"No search context found for id [{scroll_id}]")
            if keep_alive_ms is not None:
                context.expires_at = time.monotonic() + keep_alive_ms / 1000
            return context

    def clear_scrolls(self, scroll_ids: list[str] | None) -> int:
        """Drop the given scrolls (all when None); how many were open."""
        with self._lock:
            self._expire()
            if scroll_ids is None:
                freed = len(self._scrolls)
                self._scrolls.clear()
                return freed
            return sum(self._scrolls.pop(s, None) is not None for s in scroll_ids)

    # -- points in time --

    def open_pit(self, snapshot: Snapshot, keep_alive_ms: int) -> tuple[str, PitContext]:
        _check_keep_alive(keep_alive_ms)
        with self._lock:
            self._expire()
            context = PitContext(snapshot, int(time.time() * 1000), keep_alive_ms,
                                 time.monotonic() + keep_alive_ms / 1000)
            pit_id = _new_id(b"pit")
            self._pits[pit_id] = context
            return pit_id, context

    def pit(self, pit_id: str, keep_alive_ms: int | None) -> PitContext:
        with self._lock:
            self._expire()
            context = self._pits.get(pit_id)
            if context is None:
                raise SearchContextMissing(f"No search context found for id [{pit_id}]")
            if keep_alive_ms is not None:
                _check_keep_alive(keep_alive_ms)
                context.keep_alive_ms = keep_alive_ms
                context.expires_at = time.monotonic() + keep_alive_ms / 1000
            return context

    def pits(self) -> dict[str, PitContext]:
        with self._lock:
            self._expire()
            return dict(self._pits)

    def close_pits(self, pit_ids: list[str] | None) -> list[tuple[str, bool]]:
        """Drop the given points in time (all when None): (id, whether it was open)."""
        with self._lock:
            self._expire()
            ids = list(self._pits) if pit_ids is None else pit_ids
            return [(pit_id, self._pits.pop(pit_id, None) is not None) for pit_id in ids]


def _new_id(kind: bytes) -> str:
    return base64.urlsafe_b64encode(kind + b":" + os.urandom(18)).decode().rstrip("=")


def _check_keep_alive(keep_alive_ms: int) -> None:
    if keep_alive_ms > MAX_KEEP_ALIVE_MS:
        raise IllegalArgument(
            f"Keep alive for request ({keep_alive_ms}ms) is too large. It must be less than "
            f"({MAX_KEEP_ALIVE_MS}ms). This limit can be set by changing the "
            f"[point_in_time.max_keep_alive] cluster level setting.")
