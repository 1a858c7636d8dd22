"""Scroll and point-in-time contexts: snapshots of searchers kept alive until they expire.

A tantivy searcher is a point-in-time view: holding it keeps its segments readable, however
the index changes after. A scroll keeps its request and where its last page ended; a point in
time keeps only the snapshot (the user pages it with ``search_after``). Each use extends the
expiry by the given keep-alive; a sweep drops expired contexts.

Each context belongs to the subject that opened it (security/context.py ``owner``): another
subject's id answers as an unknown one (Elasticsearch's 404 ``search_context_missing_exception``,
which, unlike OpenSearch's 403, does not tell that the id exists), and clearing or closing frees
only the caller's own contexts.
"""

from __future__ import annotations

import base64
import binascii
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from loghaven.engine.catalog import Catalog
from loghaven.engine.dates import parse_duration_ms
from loghaven.errors import IllegalArgument, LoghavenError
from loghaven.scheduler import Every, Scheduler
from loghaven.search.leaf import Cursor
from loghaven.search.request import SearchRequest
from loghaven.search.root import Snapshot
from loghaven.security import context as security_context

#: Who opened a context (:attr:`loghaven.security.subject.Subject.owner`); None: the node.
Owner = tuple[str, str | None] | None

#: ES's ``search.max_open_scroll_context``.
MAX_OPEN_SCROLLS = 500
#: ES's ``search.max_keep_alive`` (scrolls) and OpenSearch's ``point_in_time.max_keep_alive``.
MAX_KEEP_ALIVE = "24h"
#: How often expired contexts (and those of deleted indices) are dropped, releasing the
#: searchers, and so the split files, they hold (ES's ``search.keep_alive_interval`` is 1m).
SWEEP_INTERVAL_S = 1.0
_ID_RANDOM_BYTES = 18


@dataclass
class ScrollContext:
    snapshot: Snapshot
    request: SearchRequest
    cursor: Cursor | None
    total: int | None
    expires_at: float
    owner: Owner = None


@dataclass
class PitContext:
    snapshot: Snapshot
    created_ms: int
    keep_alive_ms: int
    expires_at: float
    owner: Owner = None


class SearchContextMissing(LoghavenError):
    type = "search_context_missing_exception"
    status = 404


class SearchContexts:
    """The live scroll and point-in-time contexts of a node.

    Contexts are dropped when they expire (by a sweep every second, so that an abandoned
    scroll does not pin its splits' files until someone next scrolls) and when an index they
    read is deleted (its point in time then answers 404, as ES's freed contexts do).
    """

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._scrolls: dict[str, ScrollContext] = {}
        self._pits: dict[str, PitContext] = {}
        self._lock = threading.Lock()

    def schedule(self, scheduler: Scheduler) -> None:
        """Sweep expired contexts every second, as the node's job."""
        scheduler.add("search.context_sweep", self.sweep, Every(SWEEP_INTERVAL_S))

    def counts(self) -> dict[str, int]:
        """How many scroll and point-in-time contexts are open (for the node's metrics)."""
        with self._lock:
            return {"scroll": len(self._scrolls), "pit": len(self._pits)}

    def sweep(self, stopping: threading.Event | None = None) -> None:
        with self._lock:
            self._expire()

    def close(self) -> None:
        with self._lock:
            self._scrolls.clear()
            self._pits.clear()

    def _expire(self) -> None:
        now = time.monotonic()
        for table in (self._scrolls, self._pits):
            gone = [k for k, c in table.items() if c.expires_at <= now or not self._live(c)]
            for key in gone:
                del table[key]

    def _live(self, context: ScrollContext | PitContext) -> bool:
        """Whether every index the context reads still exists (was not deleted since)."""
        indices = self.catalog.indices
        return all(indices.get(e.index.name) is e.index for e in context.snapshot.entries)

    def keep_alive_ms(self, value: object, name: str, *, pit: bool = False) -> int:
        """A keep-alive checked against ``search.max_keep_alive`` (``point_in_time.…`` for a
        point in time); negative and unparsable ones are 400s too."""
        try:
            keep_alive = parse_duration_ms(value, name)  # type: ignore[arg-type]
        except ValueError as exc:
            raise IllegalArgument(str(exc)) from exc
        if keep_alive < 0:
            raise IllegalArgument(f"failed to parse setting [{name}] with value [{value}] as a "
                                  f"time value: negative durations are not supported")
        setting = "point_in_time.max_keep_alive" if pit else "search.max_keep_alive"
        limit = self._setting(setting, MAX_KEEP_ALIVE, lambda v: parse_duration_ms(str(v)))
        if keep_alive > limit:
            raise IllegalArgument(
                f"Keep alive for request ({time_value(keep_alive)}) is too large. It must be "
                f"less than ({time_value(limit)}). This limit can be set by changing the "
                f"[{setting}] cluster level setting.")
        return keep_alive

    def _setting(self, key: str, default: Any, parse: Callable[[Any], int]) -> int:
        """A cluster setting's value; its default when what was stored cannot be read (the
        settings API does not check values yet), rather than failing every scroll."""
        try:
            return parse(self.catalog.cluster_setting(key, default))
        except (TypeError, ValueError):
            return parse(default)

    # -- scrolls --

    def check_scroll_room(self) -> None:
        """Refuse a new scroll when ``search.max_open_scroll_context`` are open (plain
        searches never ask)."""
        limit = self._setting("search.max_open_scroll_context", MAX_OPEN_SCROLLS, int)
        with self._lock:
            self._expire()
            if len(self._scrolls) >= limit:
                raise IllegalArgument(
                    f"Trying to create too many scroll contexts. Must be less than or equal to: "
                    f"[{limit}]. This limit can be set by changing the "
                    f"[search.max_open_scroll_context] setting.")

    def open_scroll(self, context: ScrollContext) -> str:
        self.check_scroll_room()
        context.owner = security_context.owner()
        with self._lock:
            scroll_id = _new_id(b"scroll")
            self._scrolls[scroll_id] = context
            return scroll_id

    def scroll(self, scroll_id: str, keep_alive_ms: int | None) -> ScrollContext:
        _parse_id(scroll_id, b"scroll", "Cannot parse scroll id")
        with self._lock:
            self._expire()
            context = self._scrolls.get(scroll_id)
            if context is None or context.owner != security_context.owner():
                raise SearchContextMissing(f"No search context found for id [{scroll_id}]")
            if keep_alive_ms is not None:
                context.expires_at = time.monotonic() + keep_alive_ms / 1000
            return context

    def clear_scrolls(self, scroll_ids: list[str] | None) -> int:
        """Drop the given scrolls of the caller (all of its scrolls when None); how many were
        open."""
        owner = security_context.owner()
        with self._lock:
            self._expire()
            ids = list(self._scrolls) if scroll_ids is None else scroll_ids
            return sum(_pop_own(self._scrolls, s, owner) for s in ids)

    # -- points in time --

    def open_pit(self, snapshot: Snapshot, keep_alive_ms: int) -> tuple[str, PitContext]:
        with self._lock:
            self._expire()
            context = PitContext(snapshot, int(time.time() * 1000), keep_alive_ms,
                                 time.monotonic() + keep_alive_ms / 1000,
                                 security_context.owner())
            pit_id = _new_id(b"pit")
            self._pits[pit_id] = context
            return pit_id, context

    def pit(self, pit_id: str, keep_alive_ms: int | None) -> PitContext:
        _parse_id(pit_id, b"pit", f"invalid id: [{pit_id}]")
        with self._lock:
            self._expire()
            context = self._pits.get(pit_id)
            if context is None or context.owner != security_context.owner():
                raise SearchContextMissing(f"No search context found for id [{pit_id}]")
            if keep_alive_ms is not None:
                context.keep_alive_ms = keep_alive_ms
                context.expires_at = time.monotonic() + keep_alive_ms / 1000
            return context

    def pits(self) -> dict[str, PitContext]:
        """Every open point in time, of every owner."""
        with self._lock:
            self._expire()
            return dict(self._pits)

    def close_pits(self, pit_ids: list[str] | None) -> list[tuple[str, bool]]:
        """Drop the given points in time of the caller (all of its own when None): (id,
        whether it was open)."""
        owner = security_context.owner()
        with self._lock:
            self._expire()
            ids = [p for p, c in self._pits.items() if c.owner == owner] if pit_ids is None \
                else pit_ids
            return [(pit_id, _pop_own(self._pits, pit_id, owner)) for pit_id in ids]


def _pop_own(table: dict[str, Any], context_id: str, owner: Owner) -> bool:
    """Drop a context if it is there and ``owner``'s; whether it was."""
    found = table.get(context_id)
    if found is None or found.owner != owner:
        return False
    del table[context_id]
    return True


def _new_id(kind: bytes) -> str:
    return base64.urlsafe_b64encode(kind + b":" + os.urandom(_ID_RANDOM_BYTES)).decode() \
        .rstrip("=")


def _parse_id(context_id: str, kind: bytes, message: str) -> None:
    """A 400 for an id this node cannot have made (ES's "Cannot parse scroll id")."""
    try:
        raw = base64.urlsafe_b64decode(context_id + "=" * (-len(context_id) % 4))
    except (binascii.Error, ValueError) as exc:
        raise IllegalArgument(message) from exc
    if not raw.startswith(kind + b":") or len(raw) != len(kind) + 1 + _ID_RANDOM_BYTES:
        raise IllegalArgument(message)


def time_value(ms: int) -> str:
    """Milliseconds as ES's ``TimeValue`` prints them: the largest unit, one decimal cut off
    (``1d``, ``1.5d``, ``36h`` is ``1.5d``, ``90s`` is ``1.5m``)."""
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms >= size:
            tenths = ms * 10 // size
            return f"{tenths // 10}{unit}" if tenths % 10 == 0 else \
                f"{tenths // 10}.{tenths % 10}{unit}"
    return f"{ms}ms"
