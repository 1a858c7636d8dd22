"""Joining clauses: ``nested`` (decisions/0017).

A nested object is indexed as a hidden document of its own, in the same split as its parent
and carrying the parent's ``_id``, its nested path (``_nested_path``) and its place
(``_nested_at``: offsets from the root's array down, ``"2"``, ``"2.0"``). A ``nested``
clause runs its query on the split's hidden documents of its path, then joins each match back
to its parent — the root document, or within an outer ``nested`` clause the outer path's
object — by ``_id`` (and place), as Lucene's block join joins by position. The parents' scores
come from their matching objects' by ``score_mode``. The join is made at compile time, on the
split the query is compiled for: one search of the matching nested documents and a read of
each one's stored ``_id``, so its cost grows with the number of matching objects.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import tantivy
from tantivy import Occur, Query

from loghaven.engine.mapping import Mapping
from loghaven.engine.schema import ID, NESTED_AT, NESTED_PATH
from loghaven.engine.split import root_documents
from loghaven.errors import ParsingError
from loghaven.search.query.body import bool_flag, check_keys, text_option
from loghaven.search.query.combine import all_of, any_of, as_filter
from loghaven.search.query.context import Handler, QueryContext, QueryShardError

#: ``score_mode`` → how a parent's score comes from its matching objects' scores.
SCORE_MODES: dict[str, Callable[[list[float]], float]] = {
    "avg": lambda scores: sum(scores) / len(scores),
    "max": max,
    "min": min,
    "sum": sum,
    "none": lambda scores: 0.0,
}
_KEYS = ("path", "query", "score_mode", "ignore_unmapped", "inner_hits")


def check_path(ctx: QueryContext, path: str, ignore_unmapped: bool) -> bool:
    """Whether ``path`` is a nested object of the mapping; False (match nothing) for an
    unmapped one with ``ignore_unmapped``; else ES's query_shard_exception."""
    if path in ctx.mapping.nested:
        return True
    if ignore_unmapped and path not in ctx.mapping.objects and path not in ctx.mapping.fields:
        return False
    reason = (f"[nested] nested object under path [{path}] is not of nested type"
              if path in ctx.mapping.objects or path in ctx.mapping.fields
              else f"[nested] failed to find nested object under path [{path}]")
    raise QueryShardError(f"failed to create query: {reason}", index=ctx.index_name or "_na_")


def parse(body: Any) -> tuple[str, dict[str, Any], str, bool]:
    """A ``nested`` clause's path, query, score mode and ``ignore_unmapped``."""
    if not isinstance(body, dict):
        raise ParsingError("[nested] query malformed, no start_object after query name")
    check_keys("nested", body, _KEYS)
    if "path" not in body:
        raise ParsingError("[nested] requires 'path' field")
    if "query" not in body:
        raise ParsingError("[nested] requires 'query' field")
    path = text_option("nested", "path", body["path"])
    score_mode = text_option("nested", "score_mode", body.get("score_mode", "avg"))
    if score_mode not in SCORE_MODES:
        raise ParsingError(f"[nested] failed to parse field [score_mode]: No score mode for "
                           f"child query [{score_mode}] found")
    inner_hits = body.get("inner_hits")
    if inner_hits is not None and not isinstance(inner_hits, dict):
        raise ParsingError("[inner_hits] must be an object")
    return path, body["query"], score_mode, bool_flag(body.get("ignore_unmapped", False),
                                                       "ignore_unmapped")


def objects_query(ctx: QueryContext, path: str, query: dict[str, Any]) -> Query:
    """``query`` compiled over the nested documents of ``path`` (its fields fully named)."""
    outer, ctx.nested_scope = ctx.nested_scope, path
    try:
        inner = ctx.compile(query)
    finally:
        ctx.nested_scope = outer
    if ctx.schema is None or ctx.split is None or not ctx.split.has_nested:
        return Query.empty_query()  # (not ``ctx.present``: field-level security keeps it)
    return all_of([inner, as_filter(Query.term_query(ctx.schema, NESTED_PATH, path))])


def nested(ctx: QueryContext, body: Any) -> Query:
    path, query, score_mode, ignore_unmapped = parse(body)
    if ctx.split is None:  # only validating the request, without its indices' mappings
        objects_query(ctx, path, query)
        return Query.empty_query()
    if not check_path(ctx, path, ignore_unmapped):
        return Query.empty_query()
    outer = ctx.nested_scope
    if outer is not None and not path.startswith(outer + "."):
        raise QueryShardError(f"failed to create query: [nested] nested path [{path}] is not "
                              f"inside the enclosing nested path [{outer}]",
                              index=ctx.index_name or "_na_")
    children = objects_query(ctx, path, query)
    split = ctx.split
    if split is None or ctx.schema is None or not split.has_nested:
        return Query.empty_query()
    depth = len(ctx.mapping.nested_chain(outer))
    scores: dict[tuple[str, str], list[float]] = {}
    for score, doc_id, place in _places(ctx.searcher or split.searcher(), children):
        scores.setdefault((doc_id, _prefix(place, depth)), []).append(score)
    if not scores:
        return Query.empty_query()
    boost = float(body.get("boost", 1.0))
    combine = SCORE_MODES[score_mode]
    by_score: dict[float, list[tuple[str, str]]] = {}
    for key, found in scores.items():
        by_score.setdefault(combine(found) * boost, []).append(key)
    schema = ctx.schema
    joined = any_of([Query.const_score_query(
        Query.term_set_query(schema, ID, [doc_id for doc_id, _ in keys]) if outer is None
        else _at(schema, keys), score) for score, keys in by_score.items()])
    if outer is None:  # the root documents: not the nested documents sharing their ids
        return root_documents(joined)
    return all_of([joined, as_filter(Query.term_query(schema, NESTED_PATH, outer))])


CLAUSES: dict[str, Handler] = {"nested": nested}


def _places(searcher: tantivy.Searcher, query: Query) -> list[tuple[float, str, str]]:
    """The score, ``_id`` and place (``""`` for a root document) of each document ``query``
    finds, read from the stored fields."""
    if not searcher.num_docs:
        return []
    found = []
    for score, address in searcher.search(query, limit=searcher.num_docs).hits:
        stored = searcher.doc(address)
        found.append((score, stored.get_first(ID), stored.get_first(NESTED_AT) or ""))
    return found


def _prefix(place: str, depth: int) -> str:
    """The place of the object ``depth`` levels down that holds the object at ``place``."""
    return ".".join(place.split(".")[:depth])


def _at(schema: tantivy.Schema, keys: Iterable[tuple[str, str]]) -> Query:
    """The nested documents at these (``_id``, place) pairs."""
    return any_of([Query.boolean_query([
        (Occur.Must, Query.term_query(schema, ID, doc_id)),
        (Occur.Must, Query.term_query(schema, NESTED_AT, place))]) for doc_id, place in keys])


def children_of(searcher: tantivy.Searcher, schema: tantivy.Schema, query: Query,
                path: str) -> Query:
    """The nested documents of ``path`` under the documents ``query`` finds (root documents
    or nested ones of an outer path): ES's ``nested`` aggregation's documents."""
    places = [(doc_id, place) for _, doc_id, place in _places(searcher, query)]
    if not places:
        return Query.empty_query()
    kind = as_filter(Query.term_query(schema, NESTED_PATH, path))
    if all(not place for _, place in places):
        return all_of([Query.term_set_query(schema, ID, sorted({i for i, _ in places})), kind])
    return all_of([any_of([Query.boolean_query([
        (Occur.Must, Query.term_query(schema, ID, doc_id)),
        (Occur.Must, Query.regex_query(schema, NESTED_AT, re.escape(place) + r"\..*"))])
        for doc_id, place in sorted(set(places))]), kind])


def parents_of(searcher: tantivy.Searcher, schema: tantivy.Schema, mapping: Mapping,
               query: Query, path: str | None) -> Query:
    """The documents of ``path`` (None: the root documents) that hold the nested documents
    ``query`` finds: ES's ``reverse_nested`` aggregation's documents."""
    places = [(doc_id, place) for _, doc_id, place in _places(searcher, query)]
    if not places:
        return Query.empty_query()
    if path is None:
        return root_documents(Query.term_set_query(schema, ID, sorted({i for i, _ in places})))
    depth = len(mapping.nested_chain(path))
    keys = sorted({(doc_id, _prefix(place, depth)) for doc_id, place in places})
    return all_of([_at(schema, keys), as_filter(Query.term_query(schema, NESTED_PATH, path))])
