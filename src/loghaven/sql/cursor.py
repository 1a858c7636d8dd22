"""Cursors: the rest of an answer, page by page (``fetch_size``).

A cursor over rows that come straight from the hits holds a scroll of the search service
(the scroll's keep-alive is the cursor's, and it pages past ``plugins.query.size_limit``);
one over an answer computed in process holds the remaining rows. Ids are random 128-bit
values, and a cursor answers only the user who opened it (another user is told it does not
exist, as for a scroll). An idle cursor expires after ``plugins.sql.cursor.keep_alive``;
closing one frees its scroll.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from loghaven.search.service import SearchService
from loghaven.security.context import owner
from loghaven.sql.errors import SqlError
from loghaven.sql.hits import scroll_rows
from loghaven.sql.plan import ScrollState
from loghaven.sql.result import Column, Result


@dataclass
class Cursor:
    schema: list[Column]
    total: int
    fetch_size: int
    rows: list[list[Any]] | None
    scroll: ScrollState | None
    keep_alive_ms: int
    touched: float
    #: Who opened it (``security.context.owner()``; None for the node itself).
    owner: tuple[str, str | None] | None = None


class Cursors:
    """The open cursors of one node."""

    def __init__(self, search: SearchService) -> None:
        self.search = search
        self._open: dict[str, Cursor] = {}
        self._lock = threading.Lock()

    def open(self, cursor: Cursor) -> str:
        cursor.owner = owner()
        cursor_id = "n:" + secrets.token_hex(16)
        with self._lock:
            self._expire()
            self._open[cursor_id] = cursor
        return cursor_id

    def next_page(self, cursor_id: str) -> Result:
        cursor = self._take(cursor_id)
        if cursor is None:
            raise SqlError(f"The cursor [{cursor_id}] is unknown or has expired (cursors "
                           f"close after their keep-alive idle, or when the last page was "
                           f"read); run the query again.", type="IllegalArgumentException",
                           status=404)
        if cursor.scroll is not None:
            rows = self._scroll_page(cursor, cursor.scroll)
            more = cursor.scroll.remaining > 0
        else:
            assert cursor.rows is not None
            rows, cursor.rows = cursor.rows[:cursor.fetch_size], cursor.rows[cursor.fetch_size:]
            more = bool(cursor.rows)
        next_id = None
        if more:
            cursor.touched = time.monotonic()
            with self._lock:
                self._open[cursor_id] = cursor
            next_id = cursor_id
        return Result(cursor.schema, rows, cursor.total, cursor=next_id, continuation=True)

    def _scroll_page(self, cursor: Cursor, state: ScrollState) -> list[list[Any]]:
        response = self.search.scroll(state.scroll_id, f"{cursor.keep_alive_ms}ms", {})
        state.scroll_id = response.get("_scroll_id", state.scroll_id)
        rows = scroll_rows(state, response)[:state.remaining]
        state.remaining = 0 if not rows else state.remaining - len(rows)
        if state.remaining <= 0:
            self.search.clear_scroll([state.scroll_id])
        return rows

    def close(self, cursor_id: str) -> bool:
        cursor = self._take(cursor_id)
        if cursor is None:
            raise SqlError(f"The cursor [{cursor_id}] is unknown or has expired.",
                           type="IllegalArgumentException", status=404)
        self._release(cursor)
        return True

    def _take(self, cursor_id: str) -> Cursor | None:
        """The open cursor of that id, removed while it is used; None if there is none the
        current user opened."""
        with self._lock:
            self._expire()
            cursor = self._open.get(cursor_id)
            if cursor is None or cursor.owner != owner():
                return None
            return self._open.pop(cursor_id)

    def _expire(self) -> None:
        """Drop idle cursors (called with the lock held)."""
        now = time.monotonic()
        for cursor_id, cursor in list(self._open.items()):
            if now - cursor.touched > cursor.keep_alive_ms / 1000:
                del self._open[cursor_id]
                self._release(cursor)

    def _release(self, cursor: Cursor) -> None:
        if cursor.scroll is not None:
            self.search.clear_scroll([cursor.scroll.scroll_id])
