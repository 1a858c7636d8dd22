"""What the search and write services report of each request to the node's operations
features: metrics count and time them, the slow logs write the slow ones.

The services call :meth:`Observers.searched` and :meth:`Observers.written` after the work is
done; a listener that fails is logged and never fails the request. Who sent the request (client
address, user, ``X-Opaque-Id``) is in :mod:`loghaven.ops.origin`, set by the HTTP layer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Searched:
    """One search phase run: a ``_search`` (or a point-in-time search), a scroll page, a
    ``_count``, or one ``_msearch`` item."""

    #: ``"search"``, ``"scroll"``, ``"count"`` or ``"msearch"``.
    kind: str
    #: The concrete indices searched (empty when the request failed before they were known).
    indices: tuple[str, ...]
    #: Wall time of the whole search, and of its fetch phase within it.
    took_ms: float
    fetch_ms: float
    total_hits: int | None
    #: The request body as the client sent it (``None`` for a scroll page).
    body: Any
    #: The error's type when the search failed, else ``None``.
    error: str | None = None


@dataclass(frozen=True)
class Written:
    """One index's part of a write request (a ``_bulk`` group, a single document, a batch of
    a by-query operation or ``_reindex``), after its sync."""

    index: str
    #: The documents' requests, in order (their ``op``, ``doc_id`` and ``source``).
    requests: Sequence[Any]
    took_ms: float
    #: How many of them failed.
    failed: int
    #: Each request's outcome, in order: its ``WriteResult`` (with the document's id, also
    #: one the engine generated) or its error.
    outcomes: Sequence[Any] = ()


class Observers:
    """The listeners of the node's searches and writes."""

    def __init__(self) -> None:
        self._search: list[Callable[[Searched], None]] = []
        self._write: list[Callable[[Written], None]] = []

    def on_search(self, listener: Callable[[Searched], None]) -> None:
        self._search.append(listener)

    def on_write(self, listener: Callable[[Written], None]) -> None:
        self._write.append(listener)

    def searched(self, event: Searched) -> None:
        _tell(self._search, event)

    def written(self, event: Written) -> None:
        _tell(self._write, event)


def _tell(listeners: list[Callable[[Any], None]], event: Any) -> None:
    for listener in listeners:
        try:
            listener(event)
        except Exception:  # an operations feature's bug never fails a user's request
            log.exception("observer %r failed", listener)
