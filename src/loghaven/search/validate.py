"""``_validate/query``: whether a query compiles for each target index, and into what."""

from __future__ import annotations

from typing import Any

from loghaven.engine.index import Index
from loghaven.engine.mapping import Mapping
from loghaven.errors import LoghavenError
from loghaven.search.query import compile_query


def validate_query(indices: list[Index], query: dict[str, Any] | None, *, now_ms: int,
                   explain: bool) -> dict[str, Any]:
    """The ES ``_validate/query`` body: ``valid``, and per-index explanations if asked."""
    explanations = []
    error: str | None = None
    try:
        compile_query(query, None, Mapping(), now_ms=now_ms)
    except LoghavenError as exc:
        error = f"{exc.type}: {exc.reason}"
        indices = []
    for index in indices:
        splits = index.searchable_splits()
        split = splits[-1] if splits else None
        try:
            compiled = compile_query(query, split, index.mapping, now_ms=now_ms,
                                     index_name=index.name)
        except LoghavenError as exc:
            error = error or f"[{index.name}/{index.uuid}] {exc.type}: {exc.reason}"
            explanations.append({"index": index.name, "valid": False, "error": exc.reason})
            continue
        explanations.append({"index": index.name, "valid": True,
                             "explanation": repr(compiled).removeprefix("Query(")[:-1]})
    count = len(indices)
    body: dict[str, Any] = {"_shards": {"total": count, "successful": count, "failed": 0},
                            "valid": error is None}
    if explain:
        if error is not None:
            body["error"] = error
        body["explanations"] = explanations
    return body
