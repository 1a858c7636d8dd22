"""rare_terms and significant_terms: terms chosen by a second look at the counts.

Both run in passes over the scope: first each split's candidate terms (rarest, or most
frequent in the foreground), then exact counts of just the candidates across every split
(``include`` with the candidate list, sub-aggregations attached), so a term frequent in one
split and rare in another is judged on its total, as ES's reduce does. Over a runtime field
(rare_terms) both passes are answered from the documents' values (:mod:`..computed`) and
the sub-aggregations run per bucket.
"""

from __future__ import annotations

from typing import Any

import tantivy

from loghaven.errors import IllegalArgument
from loghaven.search.aggregations.buckets.filters import compile_filter
from loghaven.search.aggregations.buckets.terms import key_filter
from loghaven.search.aggregations.computed import aggregate
from loghaven.search.aggregations.execute import count, finish_buckets, per_split
from loghaven.search.aggregations.order import OrderKey, sort_buckets
from loghaven.search.aggregations.pipeline import apply_parent
from loghaven.search.aggregations.render import render_subs
from loghaven.search.aggregations.tree import Bucket, BucketAgg, Scope
from loghaven.search.context import SplitContext
from loghaven.search.query import all_of

CANDIDATES_PER_SPLIT = 10_000


class TermsPasses(BucketAgg):
    """Shared passes: candidate counts per split, then exact counts of chosen keys."""

    native = False

    def setup_source(self) -> None:
        self.source = self.field()
        self.term_filters: dict[str, Any] = {}  # include/exclude tantivy applies
        self.key_filter = None
        if self.source.kind == "keyword" and self.source.runtime is None:
            self.term_filters = {k: self.params[k] for k in ("include", "exclude")
                                 if k in self.params}
        else:
            self.key_filter = key_filter(self.source, self.param("include"),
                                         self.param("exclude"))

    def candidates(self, scope: Scope, order: str, size: int) -> dict[Any, int]:
        body = {"terms": {"field": self.source.name, "size": size,
                          "order": {"_count": order}, **self.term_filters}}

        def one(ctx: SplitContext, query: tantivy.Query) -> dict[Any, int]:
            if not self.source.in_split(ctx):
                return {}
            got = aggregate(ctx, query, {"c": body})["c"]["buckets"]
            counts = {self.source.key(b["key"]): b["doc_count"] for b in got}
            if self.key_filter is not None:
                counts = {k: n for k, n in counts.items() if self.key_filter(k)}
            return counts

        counts: dict[Any, int] = {}
        for split_counts in per_split(scope, one):
            for key, n in split_counts.items():
                counts[key] = counts.get(key, 0) + n
        return counts

    def exact(self, scope: Scope, keys: list[Any], with_subs: bool) -> dict[Any, Bucket]:
        """Exact counts (and sub-aggregations) of ``keys`` over the scope."""
        if not keys or not scope:
            return {}
        if with_subs:
            for sub in self.native_subs:
                for node in sub.walk():
                    node.prepare(scope)
        wanted = set(keys)

        def one(ctx: SplitContext, query: tantivy.Query) -> dict[Any, Bucket]:
            if not self.source.in_split(ctx):
                return {}
            # only documents holding a wanted key; the terms then cover at most those keys
            # (and the other values of multi-valued documents, dropped below)
            holding = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, query), (tantivy.Occur.Must, self.holding(ctx, wanted))])
            body: dict[str, Any] = {"terms": {"field": self.source.name,
                                              "size": max(len(keys) * 2, 100)}}
            if with_subs:
                body = self.with_subs(body, ctx)
            got = aggregate(ctx, holding, {"x": body})["x"]["buckets"]
            return {key: Bucket(b["doc_count"], self.read_subs(b, ctx) if with_subs else {})
                    for b in got if (key := self.source.key(b["key"])) in wanted}

        merged: dict[Any, Bucket] = {}
        for buckets in per_split(scope, one):
            merged = self.merge_buckets(merged, buckets)
        return merged

    def holding(self, ctx: SplitContext, keys: set[Any]) -> tantivy.Query:
        """The documents with one of ``keys`` (of a runtime field: one pass over its values)."""
        if self.source.runtime is not None:
            return self.source.where(ctx, lambda found: not keys.isdisjoint(found))
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, self.source.term_query(ctx, k)) for k in keys])

    def empty(self) -> dict[Any, Bucket]:
        return {}

    def merge(self, a: dict[Any, Bucket], b: dict[Any, Bucket]) -> dict[Any, Bucket]:
        return self.merge_buckets(a, b)

    def bucket_query(self, key: Any, ctx: SplitContext) -> tantivy.Query | None:
        return self.source.term_query(ctx, key) if self.source.in_split(ctx) else None


class RareTerms(TermsPasses):
    type_name = "rare_terms"
    runtime_ok = True

    def setup(self) -> None:
        self.setup_source()
        self.max_doc_count = self.int_param("max_doc_count", 1)
        if not 1 <= self.max_doc_count <= 100:
            raise IllegalArgument("[max_doc_count] must be between 1 and 100")

    def run(self, scope: Scope) -> dict[Any, Bucket]:
        counts = self.candidates(scope, "asc", CANDIDATES_PER_SPLIT)
        rare = [k for k, n in counts.items() if n <= self.max_doc_count]
        buckets = {k: b for k, b in self.exact(scope, rare, True).items()
                   if b.doc_count <= self.max_doc_count}
        ordered = dict(sort_buckets(self, list(buckets.items()), [OrderKey("_count", True)]))
        finish_buckets(self, ordered, scope)
        return ordered

    def render(self, partial: dict[Any, Bucket]) -> dict[str, Any]:
        return {"buckets": apply_parent(self, [
            {"key": k, "doc_count": b.doc_count, **render_subs(self, b)}
            for k, b in partial.items()])}


class SignificantTerms(TermsPasses):
    """Scored with ES's default JLH heuristic against the whole index (or a
    ``background_filter``)."""

    type_name = "significant_terms"

    def setup(self) -> None:
        self.setup_source()
        self.size = self.int_param("size", 10)
        self.min_doc_count = self.int_param("min_doc_count", 3)
        self.shard_size = self.int_param("shard_size", max(self.size * 5, 100))
        self.background = self.param("background_filter")

    def background_scope(self) -> Scope:
        if self.background is None:
            return [(ctx, ctx.visible) for ctx in self.env.every_split()]
        return [(ctx, all_of([ctx.visible, compile_filter(self.background, ctx, self.env.now_ms)]))
                for ctx in self.env.every_split()]

    def run(self, scope: Scope) -> dict[str, Any]:
        subset_size = count(scope)
        superset = self.background_scope()
        superset_size = count(superset)
        foreground = self.candidates(scope, "desc", self.shard_size)
        keys = [k for k, n in foreground.items() if n >= self.min_doc_count]
        fg = self.exact(scope, keys, False)
        bg = self.exact(superset, keys, False)
        scored = []
        for key in keys:
            subset_freq = fg[key].doc_count if key in fg else 0
            superset_freq = bg[key].doc_count if key in bg else 0
            score = jlh(subset_freq, subset_size, superset_freq, superset_size)
            if score > 0 and subset_freq >= self.min_doc_count:
                scored.append((score, key, subset_freq, superset_freq))
        scored.sort(key=lambda item: (-item[0], str(item[1])))
        chosen = scored[: self.size]
        with_subs = self.exact(scope, [k for _, k, _, _ in chosen], True) if self.subs else {}
        buckets = {}
        for score, key, subset_freq, superset_freq in chosen:
            subs = with_subs[key].subs if key in with_subs else self.empty_subs()
            buckets[key] = Bucket(subset_freq, subs, {"score": score, "bg_count": superset_freq})
        finish_buckets(self, buckets, scope)
        return {"doc_count": subset_size, "bg_count": superset_size, "buckets": buckets}

    def empty(self) -> dict[str, Any]:
        return {"doc_count": 0, "bg_count": 0, "buckets": {}}

    def render(self, partial: dict[str, Any]) -> dict[str, Any]:
        return {"doc_count": partial["doc_count"], "bg_count": partial["bg_count"],
                "buckets": apply_parent(self, [
                    {"key": k, "doc_count": b.doc_count, "score": b.extra["score"],
                     "bg_count": b.extra["bg_count"], **render_subs(self, b)}
                    for k, b in partial["buckets"].items()])}


def jlh(subset_freq: int, subset_size: int, superset_freq: int, superset_size: int) -> float:
    """ES's JLH score: absolute change in probability times relative change."""
    if not subset_size or not superset_size or not superset_freq:
        return 0.0
    subset_p = subset_freq / subset_size
    superset_p = superset_freq / superset_size
    change = subset_p - superset_p
    if change <= 0:
        return 0.0
    return change * (subset_p / superset_p)
