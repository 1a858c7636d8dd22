"""A report section's search: what it asks (index pattern, query, columns) and what it found.

A saved search is read as OpenSearch Dashboards stores it, and turned into the query that
Discover sends for it (ui/static/search/query.js, ``buildQuery``), so a report counts what
Discover shows: ``kibanaSavedObjectMeta.searchSourceJSON`` holds the query (``dsl``: JSON
text; ``lucene``, and ``kuery`` as Discover runs it, a ``query_string``) and the filter pills
(each one's ``query``, or the pill itself without ``meta`` and ``$state``, under
``meta.negate`` and ``meta.disabled``); the reference named
``kibanaSavedObjectMeta.searchSourceJSON.index`` points at the index pattern, whose ``title``
is the pattern and ``timeFieldName`` the time field. The search runs through the search service as whoever the report runs as
(reports/service.py), so document- and field-level security apply.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import orjson

from loghaven.dashboards.objects import SavedObjects
from loghaven.errors import IllegalArgument
from loghaven.search.service import SearchService

INDEX_REFERENCE = "kibanaSavedObjectMeta.searchSourceJSON.index"


@dataclass(frozen=True)
class Query:
    """A section made concrete: where to search, for what, and which fields to show."""

    index_pattern: str
    query: dict[str, Any]
    time_field: str
    columns: tuple[str, ...]


@dataclass
class Found:
    """One section's result in a report."""

    title: str
    line: str              # "- 3 API calls indicating ..." or "- No Alerts Found"
    total: int
    columns: tuple[str, ...]
    time_field: str
    hits: list[dict[str, Any]] = field(default_factory=list)


def resolve(section: dict[str, Any], saved: SavedObjects) -> Query:
    """The section's search; a saved search is read now, so an edit applies to the next run."""
    columns = tuple(section.get("columns", ()))
    if "indexPattern" in section:
        query = section.get("query") or _query_string(section.get("queryString", ""))
        return Query(section["indexPattern"], query, section["timeField"], columns)
    found = saved.get("search", section["savedSearchId"])
    attributes = found.attributes
    source = _search_source(attributes, section["savedSearchId"])
    reference = source.get("indexRefName") or INDEX_REFERENCE
    index_id = next((ref["id"] for ref in found.references if ref.get("name") == reference),
                    source.get("index"))
    if not index_id:
        raise IllegalArgument(f"saved search [{section['savedSearchId']}] has no index pattern")
    pattern = saved.get("index-pattern", index_id).attributes
    clauses = [_saved_query(source.get("query"), section["savedSearchId"])]
    negated = []
    for pill in source.get("filter") or []:
        meta = pill.get("meta") or {}
        if not meta.get("disabled"):
            (negated if meta.get("negate") else clauses).append(_filter_clause(pill))
    query: dict[str, Any] = {"bool": {"filter": clauses, "must_not": negated}}
    saved_columns = tuple(c for c in attributes.get("columns") or () if c != "_source")
    return Query(pattern["title"], query, pattern.get("timeFieldName") or "@timestamp",
                 columns or saved_columns)


def _search_source(attributes: dict[str, Any], saved_id: str) -> dict[str, Any]:
    meta = attributes.get("kibanaSavedObjectMeta") or {}
    try:
        source = json.loads(meta.get("searchSourceJSON") or "{}")
    except ValueError as error:
        raise IllegalArgument(f"saved search [{saved_id}] has an invalid searchSourceJSON: "
                              f"{error}") from None
    if not isinstance(source, dict):
        raise IllegalArgument(f"saved search [{saved_id}] has an invalid searchSourceJSON")
    return source


def _saved_query(query: Any, saved_id: str) -> dict[str, Any]:
    if not isinstance(query, dict):
        return {"match_all": {}}
    text = query.get("query")
    if isinstance(text, dict):  # an old saved search's DSL object
        return text
    text = (text or "").strip() if isinstance(text, str) else ""
    if query.get("language") == "dsl" and text:
        try:
            parsed = json.loads(text)
        except ValueError as error:
            raise IllegalArgument(f"saved search [{saved_id}] has a DSL query that is not "
                                  f"JSON: {error}") from None
        if not isinstance(parsed, dict):
            raise IllegalArgument(f"saved search [{saved_id}] has a DSL query that is not a "
                                  "JSON object")
        return parsed
    return _query_string(text)


def _filter_clause(pill: dict[str, Any]) -> dict[str, Any]:
    """A pill's ES clause: its ``query``, or the pill itself (Dashboards' ``exists`` and
    ``range`` pills sit at the top level)."""
    if isinstance(pill.get("query"), dict):
        return pill["query"]
    return {key: value for key, value in pill.items() if key not in ("meta", "$state")}


def _query_string(text: str) -> dict[str, Any]:
    return {"query_string": {"query": text, "analyze_wildcard": True}} if text.strip() \
        else {"match_all": {}}


def run(section: dict[str, Any], query: Query, search: SearchService, *,
        begin_ms: int, end_ms: int, size: int) -> Found:
    """Count the section's matches in ``[begin_ms, end_ms]`` and fetch the newest ``size``."""
    body = {"size": size, "track_total_hits": True,
            "sort": [{query.time_field: {"order": "desc", "unmapped_type": "date"}}],
            "query": {"bool": {"filter": [query.query, {"range": {query.time_field: {
                "gte": begin_ms, "lte": end_ms, "format": "epoch_millis"}}}]}}}
    response = search.search(query.index_pattern, body, {})
    total = response["hits"]["total"]["value"]
    hits = [orjson.loads(orjson.dumps(hit["_source"])) for hit in response["hits"]["hits"]]
    line = f"- {total} {section['matchText']}" if total else f"- {section['emptyText']}"
    return Found(section["title"], line, total, query.columns, query.time_field, hits)
