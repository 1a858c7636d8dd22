"""The search and indexing slow logs: entries for the searches and writes of an index that
took longer than its thresholds (OpenSearch's ``index.search.slowlog.*`` and
``index.indexing.slowlog.*`` settings, engine/settings.py).

A listener of the node's observers (ops/observe.py). ES logs per shard; an index here is one
shard, so a search writes one entry per searched index and phase whose threshold is passed:
the query phase is the search's time less its fetch phase. The write service reports each
index's part of a write with one time for all of its documents, so a document's time is that
time divided by their number (an approximation: documents are written as a batch).

The listener runs on every search and write, so it must cost nothing when no threshold is
set: the parsed thresholds of each index are cached with the settings object they came from
(an update of the settings replaces that object, so the cache is never stale), and an index
without thresholds costs one dict lookup and one identity check (measured: 0.3 µs per
write and 0.5 µs per search of such an index, against searches of 100 µs and more). The node's own log indices
(``.loghaven-logs-*``) are never logged, so writing the logs cannot log again.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from loghaven.engine.catalog import Catalog
from loghaven.engine.documents_state import WriteRequest, WriteResult
from loghaven.engine.settings import (
    SLOWLOG_LEVELS,
    IndexSettings,
    slowlog_source_chars,
    slowlog_threshold_ms,
)
from loghaven.ops import origin
from loghaven.ops.observe import Searched, Written
from loghaven.security.system_indices import LOGS_PREFIX

#: ES's logger names, which say the phase of each entry.
QUERY_LOGGER = "index.search.slowlog.query"
FETCH_LOGGER = "index.search.slowlog.fetch"
INDEX_LOGGER = "index.indexing.slowlog.index"
#: OpenSearch's defaults: every level is written, 1000 characters of a source, on one line.
DEFAULT_LEVEL = "trace"
DEFAULT_SOURCE = "1000"

Entry = dict[str, Any]


@dataclass(frozen=True)
class Thresholds:
    """One index's slow log settings, parsed: for each phase, ``(level, ms)`` from warn to
    trace for the levels that are on, and down to which level entries are written."""

    query: tuple[tuple[str, float], ...]
    fetch: tuple[tuple[str, float], ...]
    index: tuple[tuple[str, float], ...]
    search_levels: tuple[str, ...]
    indexing_levels: tuple[str, ...]
    source_chars: int
    reformat: bool

    @staticmethod
    def of(flat: dict[str, str]) -> Thresholds | None:
        """The thresholds of an index's settings; None when none is on."""

        def phase(kind: str, name: str) -> tuple[tuple[str, float], ...]:
            found = []
            for level in SLOWLOG_LEVELS:
                key = f"index.{kind}.slowlog.threshold.{name}.{level}"
                if key in flat and (ms := slowlog_threshold_ms(key, flat[key])) >= 0:
                    found.append((level, ms))
            return tuple(found)

        def levels(kind: str) -> tuple[str, ...]:
            lowest = flat.get(f"index.{kind}.slowlog.level", DEFAULT_LEVEL).lower()
            return SLOWLOG_LEVELS[:SLOWLOG_LEVELS.index(lowest) + 1]

        query, fetch, index = phase("search", "query"), phase("search", "fetch"), \
            phase("indexing", "index")
        if not (query or fetch or index):
            return None
        return Thresholds(query, fetch, index, levels("search"), levels("indexing"),
                          slowlog_source_chars(flat.get("index.indexing.slowlog.source",
                                                        DEFAULT_SOURCE)),
                          flat.get("index.indexing.slowlog.reformat", "true") == "true")


def level_of(thresholds: tuple[tuple[str, float], ...], levels: tuple[str, ...],
             took_ms: float) -> str | None:
    """The most severe level whose threshold ``took_ms`` passed (ES: took > threshold), if
    that level is written."""
    for level, ms in thresholds:
        if took_ms > ms:
            return level if level in levels else None
    return None


class SlowLogs:
    """Writes an entry through ``search_entry`` / ``index_entry`` for each slow search phase
    and each slow document of the indices in ``catalog``."""

    def __init__(self, catalog: Catalog, common: dict[str, Any],
                 search_entry: Callable[[Entry], None],
                 index_entry: Callable[[Entry], None]) -> None:
        self.catalog = catalog
        #: Fields of every entry (the node's and cluster's names).
        self.common = common
        self.search_entry = search_entry
        self.index_entry = index_entry
        self._cache: dict[str, tuple[IndexSettings, Thresholds | None]] = {}

    def thresholds(self, name: str) -> Thresholds | None:
        if name.startswith(LOGS_PREFIX):
            return None
        index = self.catalog.indices.get(name)
        if index is None:
            self._cache.pop(name, None)
            return None
        settings = index.settings
        cached = self._cache.get(name)
        if cached is not None and cached[0] is settings:
            return cached[1]
        parsed = Thresholds.of(settings.flat)
        self._cache[name] = (settings, parsed)
        return parsed

    # --- the listeners ---------------------------------------------------------------------

    def searched(self, event: Searched) -> None:
        if event.error is not None:  # ES logs the phases that completed
            return
        source: str | None = None
        for name in event.indices:
            thresholds = self.thresholds(name)
            if thresholds is None:
                continue
            for logger, phase, took in (
                    (QUERY_LOGGER, thresholds.query, event.took_ms - event.fetch_ms),
                    (FETCH_LOGGER, thresholds.fetch, event.fetch_ms)):
                level = level_of(phase, thresholds.search_levels, took)
                if level is None:
                    continue
                if source is None:
                    source = _json(event.body) if event.body is not None else ""
                hits = "-1" if event.total_hits is None else str(event.total_hits)
                message = (f"[{name}] took[{_took(took)}], took_millis[{int(took)}], "
                           f"total_hits[{hits} hits], kind[{event.kind}], total_shards[1], "
                           f"source[{source}]")
                self.search_entry(self._entry(level, logger, name, message, took, {
                    "total_hits": event.total_hits, "kind": event.kind, "source": source}))

    def written(self, event: Written) -> None:
        thresholds = self.thresholds(event.index)
        if thresholds is None or not thresholds.index or not event.requests:
            return
        took = event.took_ms / len(event.requests)
        level = level_of(thresholds.index, thresholds.indexing_levels, took)
        if level is None:
            return
        outcomes: Sequence[Any] = event.outcomes or [None] * len(event.requests)
        for request, outcome in zip(event.requests, outcomes, strict=True):
            if request.op == "delete" or (outcome is not None
                                          and not isinstance(outcome, WriteResult)):
                continue  # ES logs the documents indexed
            doc_id = outcome.doc_id if outcome is not None else request.doc_id
            source = _source(request, thresholds)
            message = (f"[{event.index}] took[{_took(took)}], took_millis[{int(took)}], "
                       f"id[{doc_id}], routing[]"
                       + (f", source[{source}]" if source is not None else ""))
            fields = {"id": doc_id, "op": request.op}
            if source is not None:
                fields["source"] = source
            self.index_entry(self._entry(level, INDEX_LOGGER, event.index, message, took,
                                         fields))

    def _entry(self, level: str, logger: str, index: str, message: str, took: float,
               fields: dict[str, Any]) -> Entry:
        sender = origin.fields()
        if logger != INDEX_LOGGER:  # ES ends a search's message with its X-Opaque-Id
            message += f", id[{sender.get('x_opaque_id') or ''}]"
        return {"@timestamp": _now(), "level": level.upper(), "logger": logger,
                "message": message, "index": index, "took": _took(took),
                "took_millis": round(took, 3), **fields, **self.common, **sender}


def _source(request: WriteRequest, thresholds: Thresholds) -> str | None:
    """The document as logged: at most ``source_chars`` characters, on one line unless
    ``reformat`` is off (then as sent); None when no source is logged."""
    if thresholds.source_chars == 0:
        return None
    if request.op == "update":
        text = _json(request.update)
    elif request.source is not None:
        if thresholds.reformat:
            try:
                text = _json(orjson.loads(request.source))
            except orjson.JSONDecodeError:
                text = request.source.decode("utf-8", "replace")
        else:
            text = request.source.decode("utf-8", "replace")
    else:
        text = _json(request.parsed)
    return text[:thresholds.source_chars]


def _json(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def _took(ms: float) -> str:
    """A duration as ES's ``TimeValue`` prints it (``1.2ms``, ``3.4s``, ``850.1micros``)."""
    if ms >= 1000:
        return f"{ms / 1000:.1f}s"
    if ms >= 1:
        return f"{ms:.1f}ms"
    return f"{ms * 1000:.1f}micros"


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")
