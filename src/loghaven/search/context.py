"""What a leaf search needs to run on one split: the split, its searcher and the mapping.

The root (fan out, merge) builds one :class:`SplitContext` per split that a request touches;
the query compiler and the aggregations both work from it, so a split searched in a thread
pool, or later on another node, is the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import tantivy

from loghaven.engine.index import Index
from loghaven.engine.mapping import Mapping
from loghaven.engine.split import Split
from loghaven.search.task import SearchTask


@dataclass
class SplitContext:
    index: Index
    split: Split
    searcher: tantivy.Searcher
    #: The request's top-level query compiled for this split (alias filter included).
    query: tantivy.Query
    #: The running search this split is searched for: checked before each split's work.
    task: SearchTask = field(default_factory=SearchTask)

    @property
    def mapping(self) -> Mapping:
        return self.index.mapping

    @property
    def schema(self) -> tantivy.Schema:
        return self.split.schema

    def has_field(self, name: str) -> bool:
        """Whether this split's schema indexes ``name`` (older splits may lack new fields)."""
        return name in self.split.field_names
