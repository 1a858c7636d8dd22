"""The state one query compilation shares, and the dispatch from clause name to its compiler.

The context knows no clause: :mod:`loghaven.search.query` passes it the table that the
family modules (term_level, multi_term, full_text, compound) fill, so they depend on it and
not the other way round. It enforces the nesting and clause-count limits for every clause.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from collections.abc import Mapping as Table
from typing import Any

import tantivy
from tantivy import Query

from loghaven.engine.dates import DateFormat, get_format, parse_date_math
from loghaven.engine.mapping import FieldInfo, Mapping
from loghaven.engine.split import Split
from loghaven.errors import LoghavenError, ParsingError
from loghaven.search.limits import LIMITS, query_too_deep, too_many_nested_clauses
from loghaven.search.query.body import single

#: Compiles one clause's body in a context.
Handler = Callable[["QueryContext", Any], Query]

#: Field kinds a ``*`` pattern (``query_string`` default field, ``multi_match``) expands to.
_SEARCHABLE_KINDS = frozenset({"text", "keyword", "long", "double", "date", "boolean", "ip"})
#: Clauses Elasticsearch has that Loghaven does not: a clear 400 rather than "unknown query".
_UNSUPPORTED = frozenset({
    "has_child", "has_parent", "parent_id", "geo_bounding_box", "geo_distance",
    "geo_polygon", "geo_shape", "shape", "script", "script_score", "function_score",
    "more_like_this", "percolate", "rank_feature", "distance_feature", "wrapper", "pinned",
    "span_term", "span_near", "span_or", "span_not", "span_first", "span_multi",
    "span_containing", "span_within", "field_masking_span", "intervals", "knn", "neural",
    "combined_fields",
})
#: Clauses that hold other clauses (not counted against maxClauseCount themselves).
_COMPOUND = frozenset({"bool", "nested", "constant_score", "dis_max", "boosting", "query_string",
                       "simple_query_string"})


class QueryShardError(LoghavenError):
    """A well-formed clause that cannot run on a field (bad value, wrong field type)."""

    type = "query_shard_exception"
    status = 400


class QueryContext:
    """One request's query being compiled for one split: the state every clause reads."""

    def __init__(self, clauses: Table[str, Handler], split: Split | None, mapping: Mapping,
                 now_ms: int, index_name: str | None, max_terms_count: int = 65_536,
                 fields: frozenset[str] | None = None,
                 searcher: tantivy.Searcher | None = None) -> None:
        self.clauses = clauses
        self.split = split
        #: The path of the ``nested`` clause being compiled (None: the root documents).
        self.nested_scope: str | None = None
        #: The searcher the query will run on, which ``nested`` clauses join on (None: the
        #: split's current one).
        self.searcher = searcher
        self.schema = split.schema if split is not None else None
        #: The split's fields the query may read; any other field matches nothing.
        self.present: frozenset[str] = fields if fields is not None else (
            split.field_names if split is not None else frozenset())
        self.mapping = mapping
        self.now_ms = now_ms
        self.index_name = index_name
        #: Set while compiling clauses that query_string produced with a field pattern or
        #: ``lenient``: a value that does not fit a field then matches nothing there.
        self.lenient = False
        self.time_zone: str | None = None
        self.max_terms_count = max_terms_count
        #: Query nesting so far and leaf clauses compiled (ES's max_nested_depth, Lucene's
        #: maxClauseCount over the whole query).
        self.depth = 0
        self.leaves = 0

    def compile(self, query: dict[str, Any] | None) -> Query:
        if query is None or query == {}:
            return Query.all_query()
        name, body = single(query)
        handler = self.clauses.get(name)
        if handler is None:
            if name in _UNSUPPORTED:
                raise ParsingError(f"[{name}] queries are not supported by Loghaven",
                                   type="parsing_exception")
            raise ParsingError(f"unknown query [{name}]", type="parsing_exception")
        if self.depth >= LIMITS.max_nested_depth:
            raise query_too_deep()
        if name not in _COMPOUND:
            self.leaves += 1
            if self.leaves > LIMITS.max_clause_count:
                raise too_many_nested_clauses()
        self.depth += 1
        try:
            return handler(self, body)
        finally:
            self.depth -= 1

    def info(self, name: str) -> FieldInfo | None:
        return self.mapping.fields.get(name)

    def has(self, path: str) -> bool:
        return path in self.present

    def expand(self, name: str) -> list[str]:
        """A field name or pattern (``*``, ``http*.uri``) → mapped searchable field paths."""
        if "*" not in name:
            return [name]
        return [path for path, info in self.mapping.fields.items()
                if info.kind in _SEARCHABLE_KINDS and info.indexed
                and fnmatch.fnmatchcase(path, name)]

    def fail(self, message: str, lenient: bool) -> Query:
        if lenient or self.lenient:
            return Query.empty_query()
        raise QueryShardError(f"failed to create query: {message}",
                              index=self.index_name or "_na_")

    def searchable(self, name: str, info: FieldInfo, lenient: bool) -> bool:
        """Whether the clause can run here; raises for fields ES cannot search."""
        if not info.indexed:
            self.fail(f"Cannot search on field [{name}] since it is not indexed.", lenient)
            return False
        return self.has(info.path)

    def date_value(self, info: FieldInfo, value: Any, *, round_up: bool,
                   fmt: str | None = None, tz: str | None = None) -> int:
        parser: DateFormat = get_format(fmt or info.date_format)
        return parse_date_math(value, self.now_ms, parser, tz or self.time_zone, round_up)
