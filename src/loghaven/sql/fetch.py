"""Rows out of the search service: counted first, then pulled by search or scroll.

Every read goes through :class:`~loghaven.search.service.SearchService`, so the caller's
index permissions, document- and field-level security apply exactly as for ``_search``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from loghaven.search.service import SearchService
from loghaven.sql.errors import SqlError

#: The most hits one plain search returns (``index.max_result_window``'s default); deeper
#: reads scroll.
WINDOW = 10_000
#: Hits per scroll page when pulling many rows.
BATCH = 5_000
SCROLL_KEEP_ALIVE = "1m"


def query_of(filters: list[dict[str, Any]]) -> dict[str, Any]:
    """The DSL query of a conjunction of filters."""
    if not filters:
        return {"match_all": {}}
    return filters[0] if len(filters) == 1 else {"bool": {"filter": filters}}


def count(search: SearchService, index: str, query: dict[str, Any]) -> int:
    return int(search.count(index, {"query": query}, {})["count"])


def refuse_over(limit: int, index: str, matching: int) -> None:
    """The plugin's refusal of a query that would read more rows than the size limit."""
    raise SqlError(f"The query would read more than [plugins.query.size_limit] = {limit} "
                   f"rows from [{index}] (it matches {matching}); narrow the WHERE, add a "
                   f"LIMIT, page with fetch_size, or raise the setting.")


def source_of(hit: dict[str, Any]) -> dict[str, Any]:
    """The hit's document; the doc values it asked for (dates as epoch millis) stand in
    for the source's values of those fields."""
    source = hit.get("_source")
    document = {} if source is None else source if isinstance(source, dict) \
        else orjson.loads(orjson.dumps(source))
    document.update(hit.get("fields") or {})
    return document


def pull(search: SearchService, index: str, body: dict[str, Any], start: int,
         limit: int | None) -> Iterator[dict[str, Any]]:
    """The sources of the hits ``start`` .. ``start + limit`` of ``body`` (all when
    ``limit`` is None): one search inside the result window, a scroll beyond it."""
    if limit is not None and start + limit <= WINDOW:
        response = search.search(index, {**body, "from": start, "size": limit}, {})
        for hit in response["hits"]["hits"]:
            yield source_of(hit)
        return
    response = search.search(index, {**body, "size": BATCH}, {"scroll": SCROLL_KEEP_ALIVE})
    scroll_id = response.get("_scroll_id")
    skipped, given = 0, 0
    try:
        while response["hits"]["hits"]:
            for hit in response["hits"]["hits"]:
                if skipped < start:
                    skipped += 1
                    continue
                if limit is not None and given >= limit:
                    return
                given += 1
                yield source_of(hit)
            response = search.scroll(scroll_id, SCROLL_KEEP_ALIVE, {})
            scroll_id = response.get("_scroll_id", scroll_id)
    finally:
        if scroll_id:
            search.clear_scroll([scroll_id])
