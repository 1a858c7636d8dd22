"""nested and reverse_nested: single buckets that step into a nested object's documents and
back out to their parents (decisions/0017).

A nested object's values live on hidden documents of their own, so ``nested`` swaps each
split's documents for the nested documents of ``path`` under them, and ``reverse_nested``
swaps nested documents for the documents that hold them (the root, or an outer nested
object's). The sub-aggregations then run on those documents, natively again. The swap reads
the stored ``_id`` of every document in the bucket, so it costs one stored-document read per
document aggregated over.
"""

from __future__ import annotations

from typing import Any

from loghaven.errors import LoghavenError, ParsingError
from loghaven.search.aggregations.execute import count, execute
from loghaven.search.aggregations.render import render_subs
from loghaven.search.aggregations.tree import Agg, Bucket, BucketAgg, Scope
from loghaven.search.query import all_of, as_filter
from loghaven.search.query.joining import children_of, parents_of


class AggregationExecution(LoghavenError):
    type = "aggregation_execution_exception"
    status = 400


class _SingleBucket(BucketAgg):
    native = False

    def empty(self) -> dict[Any, Bucket]:
        return {None: Bucket(0, self.empty_subs())}

    def merge(self, a: dict[Any, Bucket], b: dict[Any, Bucket]) -> dict[Any, Bucket]:
        return self.merge_buckets(a, b)

    def single_bucket(self, partial: Any) -> Bucket | None:
        return partial.get(None)

    def render(self, partial: dict[Any, Bucket]) -> dict[str, Any]:
        bucket = partial[None]
        return {"doc_count": bucket.doc_count, **render_subs(self, bucket)}

    def swapped(self, scope: Scope) -> Scope:
        raise NotImplementedError

    def run(self, scope: Scope) -> dict[Any, Bucket]:
        inner = self.swapped(scope)
        return {None: Bucket(count(inner), execute(self.subs, inner, self.env))}


def _reverse_nested_below(aggs: list[Agg], path: str) -> None:
    """Tell the ``reverse_nested`` aggregations below a nested one which path they are in
    (an inner nested aggregation tells its own)."""
    for agg in aggs:
        if isinstance(agg, ReverseNested) and agg.inside is None:
            agg.inside = path
        if not isinstance(agg, Nested):
            _reverse_nested_below(agg.subs, path)


class Nested(_SingleBucket):
    """The nested documents of ``path`` under the bucket's documents."""

    type_name = "nested"

    def setup(self) -> None:
        path = self.param("path")
        if not isinstance(path, str) or not path:
            raise ParsingError(f"[nested] Missing [path] field for nested aggregation "
                               f"[{self.name}]")
        self.path = path
        _reverse_nested_below(self.subs, path)

    def swapped(self, scope: Scope) -> Scope:
        inner: Scope = []
        for ctx, query in scope:
            mapping = ctx.mapping
            if self.path not in mapping.nested:
                if self.path in mapping.objects or self.path in mapping.fields:
                    raise AggregationExecution(f"[nested] nested path [{self.path}] is not "
                                               f"nested")
                continue  # unmapped here: no documents, as ES answers
            if ctx.split.has_nested:
                inner.append((ctx, children_of(ctx.searcher, ctx.schema, query, self.path)))
        return inner


class ReverseNested(_SingleBucket):
    """The documents (root, or of the nested object ``path``) holding the bucket's nested
    documents."""

    type_name = "reverse_nested"

    def setup(self) -> None:
        path = self.param("path")
        if path is not None and not isinstance(path, str):
            raise ParsingError(f"[reverse_nested] [path] must be a string in [{self.name}]")
        self.path: str | None = path or None
        #: The path of the nested aggregation it is in (set by that aggregation).
        self.inside: str | None = None

    def swapped(self, scope: Scope) -> Scope:
        if self.inside is None:
            raise AggregationExecution(f"Reverse nested aggregation [{self.name}] can only be "
                                       f"used inside a [nested] aggregation")
        if self.path is not None and not (self.inside == self.path
                                           or self.inside.startswith(self.path + ".")):
            raise AggregationExecution(f"[reverse_nested] path [{self.path}] is not a parent "
                                       f"of the nested path [{self.inside}]")
        outer: Scope = []
        for ctx, query in scope:
            if self.path is not None and self.path not in ctx.mapping.nested:
                raise AggregationExecution(f"[reverse_nested] nested path [{self.path}] is "
                                           f"not nested")
            parents = parents_of(ctx.searcher, ctx.schema, ctx.mapping, query, self.path)
            outer.append((ctx, all_of([parents, as_filter(ctx.visible)])
                          if self.path is None else parents))
        return outer
