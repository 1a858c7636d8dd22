"""Elasticsearch query DSL → a tantivy query for one split.

:func:`compile_query` is the one entry point (the search root, ``_count``, ``_delete_by_query``
and the aggregations' ``filter``/``filters`` all call it). A query is compiled per split
because each split's schema may lack fields that the mapping gained later: a clause on such a
field matches nothing there, exactly as a field that is not mapped at all (ES behaviour).

One module per query family, as Quickwit's query crate has, each registering its clauses in
:data:`CLAUSES` (clause name → compiler): ``term_level`` (term, terms, range, exists, ids...),
``multi_term`` (prefix, wildcard, regexp, fuzzy), ``full_text`` (match*, multi_match and the
``query_string`` glue to :mod:`loghaven.search.lucene`) and ``compound`` (bool, dis_max...).
``context`` holds the per-compilation state and the dispatch, ``values`` how a value meets a
field of each kind:

* text — analysed with the field's analyzer (our ``standard``) for full-text clauses; term-level
  clauses (``term``, ``prefix``, ``wildcard``...) use the value as given (lowercased for the
  multi-term ones, as ES normalises them).
* keyword — one exact term; lowercased when the field has ``normalizer: lowercase``.
* long / double / date / boolean / ip — parsed; dates with the field's (or the clause's)
  ``format``, ``time_zone`` and date math, a date term covering the whole unit it names, as in ES.

:func:`time_bounds` reads the date ranges a query *requires*, so the root can skip splits whose
time range cannot match (ES's ``can_match`` phase).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import tantivy

from loghaven.engine.mapping import Mapping
from loghaven.engine.split import Split
from loghaven.errors import ParsingError
from loghaven.search.query import compound, full_text, joining, multi_term, term_level
from loghaven.search.query.bounds import time_bounds
from loghaven.search.query.combine import MATCH_ALL, all_of, any_of, as_filter
from loghaven.search.query.context import Handler, QueryContext, QueryShardError
from loghaven.search.query.regex import regex_after, regex_before

if TYPE_CHECKING:
    from loghaven.search.context import SplitContext

__all__ = [
    "MATCH_ALL", "QueryShardError", "all_of", "any_of", "as_filter", "compile_query",
    "nested_objects_query", "regex_after",
    "regex_before", "time_bounds",
]

#: Every clause Loghaven compiles, by name.
CLAUSES: dict[str, Handler] = {
    **term_level.CLAUSES, **multi_term.CLAUSES, **full_text.CLAUSES, **compound.CLAUSES,
    **joining.CLAUSES,
}


def compile_query(query: dict[str, Any] | None, split: Split | None, mapping: Mapping, *,
                  now_ms: int, index_name: str | None = None,
                  max_terms_count: int = 65_536,
                  fields: frozenset[str] | None = None,
                  searcher: tantivy.Searcher | None = None) -> tantivy.Query:
    """The tantivy query for an ES query dict on ``split`` (``None`` query: match all).

    ``split`` may be ``None`` to only validate a query (every field then counts as absent).
    ``now_ms`` anchors date math (``now-15m``); ``index_name`` answers ``_index`` clauses;
    ``max_terms_count`` is the index's ``index.max_terms_count``; ``fields`` are the split's
    fields the query may read (default: all; field-level security hides some); ``searcher``
    is the split's searcher the query will run on (a point in time's, say: ``nested``
    clauses join on it; default: the split's current one). The query's
    nesting and clause count are bounded by ``indices.query.bool.*`` (search/limits.py). Raises
    ``ParsingError`` (400 ``parsing_exception``) for malformed or unknown clauses and
    :class:`QueryShardError` for values a field cannot take.
    """
    try:
        return QueryContext(CLAUSES, split, mapping, now_ms, index_name, max_terms_count,
                            fields, searcher).compile(query)
    except (ValueError, TypeError) as exc:  # a malformed option value: 5 for a string, "x"
        raise ParsingError(f"failed to parse query: {exc}") from exc


def nested_objects_query(path: str, query: dict[str, Any] | None, ctx: SplitContext,
                         now_ms: int) -> tantivy.Query:
    """``query`` over the nested documents of ``path`` on ``ctx``'s split (a ``nested``
    clause's own query, for its ``inner_hits``)."""
    context = QueryContext(CLAUSES, ctx.split, ctx.mapping, now_ms, ctx.index.name,
                           ctx.index.settings.limit("index.max_terms_count"), ctx.fields,
                           ctx.searcher)
    try:
        return joining.objects_query(context, path, query or {})
    except (ValueError, TypeError) as exc:
        raise ParsingError(f"failed to parse query: {exc}") from exc
