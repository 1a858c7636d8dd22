"""Index statistics in the shape of ``_stats``, summed up for ``_nodes/stats`` and ``_cluster/stats``.

Only what the engine measures is reported: document and deleted-document counts, bytes on disk,
segments, and the indexing, search, refresh and merge counters each index keeps in
``Index.stats``. Each index
is one primary shard with no replica copies, so ``primaries`` and ``total`` are the same.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from loghaven.engine.index import Index
from loghaven.errors import IllegalArgument

#: Every metric name ES accepts; the ones we have no numbers for are accepted and left out.
METRICS = ("docs", "store", "indexing", "get", "search", "merge", "refresh", "flush", "warmer",
           "query_cache", "fielddata", "completion", "segments", "translog", "request_cache",
           "recovery", "bulk")
MEASURED = ("docs", "store", "indexing", "search", "segments", "refresh", "merge")


def metric_set(text: str | None, allowed: Collection[str], path: str) -> set[str]:
    """A path's comma list of metrics (all allowed ones for none or ``_all``), checked."""
    wanted = {m for m in (text or "").split(",") if m}
    if not wanted or "_all" in wanted:
        return set(allowed)
    unknown = sorted(wanted - set(allowed))
    if unknown:
        raise IllegalArgument(f"request [{path}] contains unrecognized metric"
                              f"{'s' if len(unknown) > 1 else ''}: [{', '.join(unknown)}]")
    return wanted


def parse_metrics(text: str | None, path: str) -> tuple[str, ...]:
    """The measured sections a ``/_stats/<metric>`` path asks for (all of them by default)."""
    wanted = metric_set(text, METRICS, path)
    return tuple(m for m in MEASURED if m in wanted)


def index_stats(index: Index, metrics: Iterable[str] = MEASURED) -> dict[str, Any]:
    """One index's sections (``docs``, ``store``, ...) as ES reports them per shard copy."""
    splits = index.searchable_splits()
    segments = [segment for split in splits for segment in split.segments()]
    return _sections(metrics, docs=sum(s.num_docs() for s in splits),
                     deleted=sum(s.num_deleted for s in segments),
                     size=sum(s.size_bytes() for s in splits), segments=len(segments),
                     counters=index.stats)


def sum_stats(indices: Iterable[Index], metrics: Iterable[str] = MEASURED) -> dict[str, Any]:
    """The sections summed over indices (all zero when there are none)."""
    metrics = tuple(metrics)
    total = _sections(metrics, docs=0, deleted=0, size=0, segments=0, counters={})
    for index in indices:
        add(total, index_stats(index, metrics))
    return total


def _sections(metrics: Iterable[str], *, docs: int, deleted: int, size: int, segments: int,
              counters: dict[str, int]) -> dict[str, Any]:
    wanted = set(metrics)
    out: dict[str, Any] = {}
    if "docs" in wanted:
        out["docs"] = {"count": docs, "deleted": deleted}
    if "store" in wanted:
        out["store"] = {"size_in_bytes": size, "reserved_in_bytes": 0}
    if "indexing" in wanted:
        out["indexing"] = {
            "index_total": counters.get("index_total", 0),
            "index_time_in_millis": counters.get("index_time_ms", 0),
            "index_current": 0, "index_failed": 0,
            "delete_total": counters.get("delete_total", 0), "delete_time_in_millis": 0,
            "delete_current": 0, "noop_update_total": 0, "is_throttled": False,
            "throttle_time_in_millis": 0,
        }
    if "search" in wanted:
        search: dict[str, Any] = {"open_contexts": 0}
        for phase in ("query", "fetch", "scroll"):
            search[f"{phase}_total"] = counters.get(f"{phase}_total", 0)
            search[f"{phase}_time_in_millis"] = counters.get(f"{phase}_time_ms", 0)
            search[f"{phase}_current"] = 0
        out["search"] = search
    if "refresh" in wanted:
        out["refresh"] = {"total": counters.get("refresh_total", 0),
                          "total_time_in_millis": counters.get("refresh_time_ms", 0),
                          "external_total": counters.get("refresh_total", 0),
                          "external_total_time_in_millis": counters.get("refresh_time_ms", 0),
                          "listeners": 0}
    if "merge" in wanted:  # ES's metric is ``merge``, its section ``merges``
        out["merges"] = {"current": 0, "current_docs": 0, "current_size_in_bytes": 0,
                         "total": counters.get("merge_total", 0),
                         "total_time_in_millis": counters.get("merge_time_ms", 0),
                         "total_docs": counters.get("merge_docs", 0),
                         "total_size_in_bytes": counters.get("merge_bytes", 0),
                         "total_stopped_time_in_millis": 0,
                         "total_throttled_time_in_millis": 0,
                         "total_auto_throttle_in_bytes": 0}
    if "segments" in wanted:
        out["segments"] = {"count": segments, "memory_in_bytes": 0,
                           "index_writer_memory_in_bytes": 0, "version_map_memory_in_bytes": 0,
                           "fixed_bit_set_memory_in_bytes": 0, "file_sizes": {}}
    return out


def add(total: dict[str, Any], part: dict[str, Any]) -> dict[str, Any]:
    """Sum ``part`` into ``total`` field by field (numbers add, booleans or, maps recurse)."""
    for key, value in part.items():
        if isinstance(value, bool):
            total[key] = total.get(key, False) or value
        elif isinstance(value, (int, float)):
            total[key] = total.get(key, 0) + value
        elif isinstance(value, dict):
            total[key] = add(total.get(key, {}), value)
    return total
