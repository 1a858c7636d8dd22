"""top_hits and top_metrics: the best documents of a bucket, by score or by one field.

They run as searches over the bucket's scope (tantivy's own ``top_hits`` has no ``_source``):
each split returns its top ``from + size`` hits, the merge keeps the global best, and only
those documents are fetched. top_metrics may sort by a runtime field (every match's value
computed and sorted as a search sorted by it is, search/runtime.py) and read runtime
metrics (computed for the top documents only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
import tantivy

from loghaven.engine.runtime import source_value
from loghaven.engine.schema import ID, SOURCE
from loghaven.errors import ParsingError
from loghaven.search.aggregations.execute import per_split
from loghaven.search.aggregations.fields import (
    Field,
    not_on_runtime,
    require_aggregatable,
    resolve,
)
from loghaven.search.aggregations.tree import MetricAgg, Scope
from loghaven.search.context import SplitContext
from loghaven.search.inner_hits import nested_object
from loghaven.search.source_filter import SourceFilter


@dataclass
class Hit:
    sort_key: Any
    index: str
    doc_id: str
    source: dict[str, Any] | None
    #: A nested object's hit (under a ``nested`` aggregation): its path and ``_nested``.
    path: str | None = None
    nested: dict[str, Any] | None = None
    #: Its values of the runtime fields the aggregation shows (top_metrics' metrics).
    computed: dict[str, list[Any]] = field(default_factory=dict)


@dataclass
class Hits:
    total: int = 0
    hits: list[Hit] = field(default_factory=list)


def parse_sort(spec: Any, agg: str) -> tuple[str | None, bool]:
    """(field or None for score, ascending) from ES ``sort``; one criterion is supported."""
    if spec is None:
        return None, False
    items = spec if isinstance(spec, list) else [spec]
    if not items:
        return None, False
    first = items[0]
    if isinstance(first, str):
        return (None, False) if first == "_score" else (first, True)
    if isinstance(first, dict) and len(first) == 1:
        (name, order), = first.items()
        if isinstance(order, dict):
            order = order.get("order", "desc" if name == "_score" else "asc")
        asc = str(order).lower() == "asc"
        return (None, asc) if name == "_score" else (name, asc)
    raise ParsingError(f"malformed [sort] in [{agg}]")


class SearchMetric(MetricAgg):
    """Base: top documents of the scope, sorted by score or one fast field."""

    native = False

    def setup_sort(self, spec: Any) -> None:
        name, self.asc = parse_sort(spec, self.name)
        self.sort_field: Field | None = None
        if name is not None:
            self.sort_field = resolve(self.env.contexts, name)
            if self.sort_field.runtime is not None and not self.runtime_ok:
                raise not_on_runtime(self.type_name, self.name, name)
            require_aggregatable(self.sort_field)

    def search(self, ctx: SplitContext, query: tantivy.Query, limit: int) -> tuple[int, list[Hit]]:
        searcher = ctx.searcher
        if self.sort_field is not None and not self.sort_field.in_split(ctx):
            return searcher.search(query, 1).count or 0, []
        total, top = self.top(ctx, query, limit)
        hits = []
        for key, address in top:
            doc = searcher.doc(address)
            source = doc.get_first(SOURCE)
            computed = self.hit_values(ctx, address)
            if source is None and ctx.split.has_nested:
                found = nested_object(ctx, doc)
                if found is not None:
                    path, marker, obj = found
                    hits.append(Hit(key, ctx.index.name, doc.get_first(ID), obj, path, marker,
                                    computed))
                    continue
            hits.append(Hit(key, ctx.index.name, doc.get_first(ID),
                            orjson.loads(ctx.source(source)) if source is not None else None,
                            computed=computed))
        return total, hits

    def top(self, ctx: SplitContext, query: tantivy.Query, limit: int
            ) -> tuple[int, list[tuple[Any, tantivy.DocAddress]]]:
        """The split's matches and its best ``limit`` (sort value, address) pairs: by score,
        by a column (tantivy), or by a runtime field's computed values."""
        if self.sort_field is None or self.sort_field.runtime is None:
            kwargs: dict[str, Any] = {}
            if self.sort_field is not None:
                kwargs = {"order_by_field": self.sort_field.name,
                          "order": tantivy.Order.Asc if self.asc else tantivy.Order.Desc}
            result = ctx.searcher.search(query, limit, **kwargs)
            return result.count or 0, result.hits
        # search.leaf imports this package (aggregations.fields): import its users here
        from loghaven.search.leaf import LeafKey
        from loghaven.search.request import SortKey
        from loghaven.search.runtime import search_split

        assert ctx.runtime is not None  # in_split
        name = self.sort_field.name
        key = LeafKey(SortKey(name, "asc" if self.asc else "desc"), "runtime", name)
        found = search_split(ctx, 0, query, [key], limit, ctx.runtime)
        return found.count or 0, [(row.values[0], row.address) for row in found.rows]

    def hit_values(self, ctx: SplitContext, address: tantivy.DocAddress) -> dict[str, list[Any]]:
        """A top document's values of the runtime fields it shows (none by default)."""
        return {}

    def collect(self, scope: Scope, limit: int) -> Hits:
        out = Hits()
        for total, hits in per_split(scope, lambda ctx, query: self.search(ctx, query, limit)):
            out = self.merge(out, Hits(total, hits))
        return out

    def empty(self) -> Hits:
        return Hits()

    def merge(self, a: Hits, b: Hits) -> Hits:
        hits = [*a.hits, *b.hits]
        present = [h for h in hits if h.sort_key is not None]
        absent = [h for h in hits if h.sort_key is None]
        present.sort(key=lambda h: h.sort_key, reverse=not self.asc)
        return Hits(a.total + b.total, (present + absent)[: self.limit])


class TopHits(SearchMetric):
    type_name = "top_hits"

    def setup(self) -> None:
        self.size = self.int_param("size", 3)
        self.start = self.int_param("from", 0)
        self.limit = self.size + self.start
        self.setup_sort(self.param("sort"))
        self.source_filter = SourceFilter.from_spec(self.param("_source"))

    def run(self, scope: Scope) -> Hits:
        return self.collect(scope, max(self.limit, 1))

    def render(self, partial: Hits) -> dict[str, Any]:
        by_score = self.sort_field is None
        hits = []
        for hit in partial.hits[self.start:self.start + self.size]:
            out: dict[str, Any] = {"_index": hit.index, "_id": hit.doc_id}
            if hit.nested is not None:
                out["_nested"] = hit.nested
            out["_score"] = float(hit.sort_key) if by_score else None
            if self.source_filter.enabled and hit.source is not None:
                out["_source"] = self.source_filter.apply(hit.source)
            if not by_score:
                out["sort"] = [hit.sort_key]
            hits.append(out)
        max_score = max((h["_score"] for h in hits), default=None) if by_score else None
        return {"hits": {"total": {"value": partial.total, "relation": "eq"},
                         "max_score": max_score, "hits": hits}}


class TopMetrics(SearchMetric):
    type_name = "top_metrics"
    runtime_ok = True

    def setup(self) -> None:
        metrics = self.param("metrics")
        items = metrics if isinstance(metrics, list) else [metrics]
        if not items or not all(isinstance(m, dict) and "field" in m for m in items):
            raise ParsingError(f"[metrics] must name fields in [{self.name}]")
        self.metrics = [m["field"] for m in items]
        self.runtime_metrics = {name for name in self.metrics
                                if resolve(self.env.contexts, name).runtime is not None}
        if self.param("sort") is None:
            raise ParsingError(f"[sort] is required in [{self.name}]")
        self.setup_sort(self.param("sort"))
        self.limit = self.int_param("size", 1)

    def run(self, scope: Scope) -> Hits:
        return self.collect(scope, self.limit)

    def render(self, partial: Hits) -> dict[str, Any]:
        top = []
        for hit in partial.hits[: self.limit]:
            source = hit.source or {}
            prefix = f"{hit.path}." if hit.path is not None else ""
            top.append({"sort": [hit.sort_key], "metrics": {
                name: _shown(hit.computed.get(name, [])) if name in self.runtime_metrics
                else source_value(source, name.removeprefix(prefix)) for name in self.metrics}})
        return {"top": top}

    def hit_values(self, ctx: SplitContext, address: tantivy.DocAddress) -> dict[str, list[Any]]:
        if ctx.runtime is None:
            return {}
        return {name: ctx.runtime.document_values(name, address)
                for name in self.runtime_metrics}

    def value_of(self, partial: Hits, metric: str | None) -> float | None:
        rendered = self.render(partial)["top"]
        if not rendered:
            return None
        metrics = rendered[0]["metrics"]
        return metrics.get(metric if metric is not None else self.metrics[0])


def _shown(values: list[Any]) -> Any:
    """Runtime values as a metric shows a field of ``_source``: one value, an array, or null."""
    if not values:
        return None
    return values[0] if len(values) == 1 else values
