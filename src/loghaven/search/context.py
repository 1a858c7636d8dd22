"""What a leaf search needs to run on one split: the split, its searcher and the mapping.

The root (fan out, merge) builds one :class:`SplitContext` per split that a request touches;
the query compiler and the aggregations both work from it, so a split searched in a thread
pool, or later on another node, is the same code. It also carries the acting subject's
document- and field-level security on the index (:mod:`.restrictions`): the fields a query
or an aggregation may read, and the documents it may see.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import tantivy

from loghaven.engine.index import Index
from loghaven.engine.mapping import Mapping
from loghaven.engine.split import Split, top_level
from loghaven.search.query import all_of, as_filter, compile_query
from loghaven.search.restrictions import Restriction
from loghaven.search.task import SearchTask

if TYPE_CHECKING:
    from loghaven.search.runtime import SplitValues


@dataclass
class SplitContext:
    index: Index
    split: Split
    searcher: tantivy.Searcher
    #: The request's top-level query compiled for this split (alias filter and DLS included).
    query: tantivy.Query
    #: The running search this split is searched for: checked before each split's work.
    task: SearchTask = field(default_factory=SearchTask)
    #: The acting subject's DLS and FLS on the index; None when unrestricted.
    restriction: Restriction | None = None
    #: The runtime fields this search sees in the split, with their values computed on
    #: first use (search/runtime.py); None when it has none.
    runtime: SplitValues | None = None

    @property
    def mapping(self) -> Mapping:
        return self.index.mapping

    @property
    def schema(self) -> tantivy.Schema:
        return self.split.schema

    @functools.cached_property
    def fields(self) -> frozenset[str]:
        """The split's fields this search may read (FLS hides some; older splits may lack
        new fields)."""
        if self.restriction is None:
            return self.split.field_names
        return self.restriction.present(self.split)

    @functools.cached_property
    def visible(self) -> tantivy.Query:
        """Every document of the split this search may see (DLS), whatever its query: never
        the hidden documents of nested objects (decisions/0017)."""
        if self.restriction is not None:
            query = self.restriction.documents(self.split, self.mapping, self.index.name)
            if query is not None:
                return top_level(self.split, query)
        return top_level(self.split, tantivy.Query.all_query())

    def has_field(self, name: str) -> bool:
        """Whether this split has ``name`` for this search."""
        return name in self.fields

    def compile(self, clause: dict[str, Any] | None, now_ms: int) -> tantivy.Query:
        """A query clause of the request on this split, over the fields it may read."""
        return compile_query(clause, self.split, self.mapping, now_ms=now_ms,
                             index_name=self.index.name,
                             max_terms_count=self.index.settings.limit("index.max_terms_count"),
                             fields=self.fields, searcher=self.searcher)

    def within(self, query: tantivy.Query, alias_filter: dict[str, Any] | None,
               now_ms: int) -> tantivy.Query:
        """``query`` narrowed to the documents the request may see: those of the alias
        filter it came through, and of the subject's DLS query; never nested objects' hidden
        documents. Every search, count, aggregation and by-query operation goes through
        here, so this is the one place that hides them."""
        parts = [query]
        if alias_filter:
            parts.append(as_filter(compile_query(
                alias_filter, self.split, self.mapping, now_ms=now_ms,
                index_name=self.index.name,
                max_terms_count=self.index.settings.limit("index.max_terms_count"),
                searcher=self.searcher)))
        if self.restriction is not None and self.restriction.dls is not None:
            parts.append(as_filter(self.visible))
        # a must_not beside the query, not one more filter clause: tantivy drops a match_all
        # from a boolean's musts, and with it the 1.0 score ES gives every match
        return top_level(self.split, all_of(parts))

    def source(self, stored: bytes) -> bytes:
        """A stored ``_source`` of this split as the search may show it (decompressed;
        FLS, masking)."""
        raw = self.split.source(stored)
        return raw if self.restriction is None else self.restriction.source(raw)
