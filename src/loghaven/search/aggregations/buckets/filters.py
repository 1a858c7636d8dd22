"""filter, filters, missing, global and ip_range: buckets defined by a query per bucket.

Each bucket narrows the scope with its query (ES query DSL compiled per split, an
``exists`` test, an IP range) and runs its sub-aggregations there, so everything below a
filter is native again. Under a native bucket aggregation they run once per final bucket.
On a runtime field the query is the ``ids`` of the documents whose computed values pass
the same test (:meth:`~loghaven.search.aggregations.fields.Field.where`).
"""

from __future__ import annotations

import ipaddress
from typing import Any

import tantivy

from loghaven.errors import IllegalArgument, ParsingError
from loghaven.search.aggregations.execute import count, execute, narrow
from loghaven.search.aggregations.fields import Field, address_order
from loghaven.search.aggregations.pipeline import apply_parent, apply_parent_keyed
from loghaven.search.aggregations.render import keyed_ranges, render_subs
from loghaven.search.aggregations.tree import Bucket, BucketAgg, Maker, Scope
from loghaven.search.context import SplitContext
from loghaven.search.limits import check_buckets


def compile_filter(query: dict[str, Any], ctx: SplitContext, now_ms: int) -> tantivy.Query:
    """ES query DSL for one split, through the search package's query compiler (leaves on
    runtime fields become the ids they match, as in the search's query)."""
    if ctx.runtime is not None:
        query = ctx.runtime.rewrite(query) or query
    return ctx.compile(query, now_ms)


def _absent(source: Field) -> Maker:
    def make(ctx: SplitContext) -> tantivy.Query:
        if source.runtime is None and not ctx.has_field(source.name):
            return tantivy.Query.all_query()
        return tantivy.Query.boolean_query([
            (tantivy.Occur.Must, tantivy.Query.all_query()),
            (tantivy.Occur.MustNot, source.exists_query(ctx))])
    return make


class FilterLike(BucketAgg):
    """Buckets from queries; subclasses list ``(key, maker)`` pairs in :meth:`filters`."""

    native = False

    def filters(self) -> list[tuple[Any, Maker]]:
        raise NotImplementedError

    def run(self, scope: Scope) -> dict[Any, Bucket]:
        buckets = {}
        for key, make in self.filters():
            inner = narrow(scope, make)
            buckets[key] = Bucket(count(inner), execute(self.subs, inner, self.env))
        return buckets

    def empty(self) -> dict[Any, Bucket]:
        return {key: Bucket(0, self.empty_subs()) for key, _ in self.filters()}

    def merge(self, a: dict[Any, Bucket], b: dict[Any, Bucket]) -> dict[Any, Bucket]:
        return self.merge_buckets(a, b)

    def single_bucket(self, partial: Any) -> Bucket | None:
        return next(iter(partial.values()), None) if len(partial) == 1 else None

    def render_single(self, partial: dict[Any, Bucket]) -> dict[str, Any]:
        bucket = next(iter(partial.values()))
        return {"doc_count": bucket.doc_count, **render_subs(self, bucket)}


class Filter(FilterLike):
    type_name = "filter"
    runtime_ok = True

    def setup(self) -> None:
        if not isinstance(self.params, dict) or not self.params:
            raise ParsingError(f"[filter] must be a query object in [{self.name}]")

    def filters(self) -> list[tuple[Any, Maker]]:
        return [(None, lambda ctx: compile_filter(self.params, ctx, self.env.now_ms))]

    def render(self, partial: dict[Any, Bucket]) -> dict[str, Any]:
        return self.render_single(partial)


class Missing(FilterLike):
    type_name = "missing"
    runtime_ok = True

    def setup(self) -> None:
        self.source = self.field()

    def filters(self) -> list[tuple[Any, Maker]]:
        return [(None, _absent(self.source))]

    def render(self, partial: dict[Any, Bucket]) -> dict[str, Any]:
        return self.render_single(partial)


class Global(FilterLike):
    """All documents of the target indices, whatever the query."""

    type_name = "global"

    def filters(self) -> list[tuple[Any, Maker]]:
        return [(None, lambda ctx: ctx.visible)]

    def run(self, scope: Scope) -> dict[Any, Bucket]:
        everything = [(ctx, ctx.visible) for ctx in self.env.every_split()]
        return {None: Bucket(count(everything), execute(self.subs, everything, self.env))}

    def render(self, partial: dict[Any, Bucket]) -> dict[str, Any]:
        return self.render_single(partial)


class Filters(FilterLike):
    type_name = "filters"
    runtime_ok = True

    def setup(self) -> None:
        spec = self.param("filters")
        if isinstance(spec, dict):
            self.keyed_input = True
            self.queries = sorted(spec.items())
        elif isinstance(spec, list):
            self.keyed_input = False
            self.queries = list(enumerate(spec))
        else:
            raise ParsingError(f"[filters] must be an object or an array in [{self.name}]")
        self.keyed = bool(self.param("keyed", self.keyed_input))
        self.other_key = self.param("other_bucket_key")
        self.other = bool(self.param("other_bucket", False)) or self.other_key is not None
        check_buckets(len(self.queries) + self.other)
        if self.other_key is None:
            self.other_key = "_other_"

    def filters(self) -> list[tuple[Any, Maker]]:
        now = self.env.now_ms
        out: list[tuple[Any, Maker]] = [
            (key, lambda ctx, q=query: compile_filter(q, ctx, now)) for key, query in self.queries]
        if self.other:
            def other(ctx: SplitContext) -> tantivy.Query:
                clauses = [(tantivy.Occur.Must, tantivy.Query.all_query())]
                clauses += [(tantivy.Occur.MustNot, compile_filter(q, ctx, now))
                            for _, q in self.queries]
                return tantivy.Query.boolean_query(clauses)
            out.append((self.other_key, other))
        return out

    def render(self, partial: dict[Any, Bucket]) -> dict[str, Any]:
        rendered = [(key, {"doc_count": bucket.doc_count, **render_subs(self, bucket)})
                    for key, bucket in partial.items()]
        rendered = apply_parent_keyed(self, rendered)
        if self.keyed:
            return {"buckets": {str(key): body for key, body in rendered}}
        return {"buckets": [{"key": key, **body} if self.keyed_input else body
                            for key, body in rendered]}


class IpRange(FilterLike):
    """ip_range, with ``from``/``to`` addresses or a CIDR ``mask``."""

    type_name = "ip_range"
    runtime_ok = True

    def setup(self) -> None:
        self.source = self.field()
        self.keyed = bool(self.param("keyed", False))
        ranges = self.param("ranges")
        if not isinstance(ranges, list) or not ranges:
            raise ParsingError(f"No [ranges] specified for the [{self.name}] aggregation")
        check_buckets(len(ranges))
        self.ranges = [self.parse(spec) for spec in ranges]

    def parse(self, spec: Any) -> dict[str, Any]:
        if not isinstance(spec, dict):
            raise ParsingError(f"[ranges] must hold objects in [{self.name}]")
        out: dict[str, Any] = {}
        try:
            if "mask" in spec:
                network = ipaddress.ip_network(spec["mask"], strict=False)
                out["from"] = str(network.network_address)
                last = int(network.broadcast_address)
                if last + 1 <= (2**32 - 1 if network.version == 4 else 2**128 - 1):
                    out["to"] = str(ipaddress.ip_address(last + 1) if network.version == 6
                                    else ipaddress.IPv4Address(last + 1))
                out["key"] = spec.get("key", spec["mask"])
            else:
                for bound in ("from", "to"):
                    if spec.get(bound) is not None:
                        out[bound] = str(ipaddress.ip_address(spec[bound]))
                out["key"] = spec.get("key", f"{out.get('from', '*')}-{out.get('to', '*')}")
        except ValueError as exc:
            raise IllegalArgument(str(exc)) from None
        return out

    def filters(self) -> list[tuple[Any, Maker]]:
        name = self.source.name
        if self.source.runtime is not None:
            return [(i, self.computed_maker(spec)) for i, spec in enumerate(self.ranges)]

        def maker(spec: dict[str, Any]) -> Maker:
            def make(ctx: SplitContext) -> tantivy.Query | None:
                if not ctx.has_field(name):
                    return None
                if "from" not in spec and "to" not in spec:
                    return tantivy.Query.exists_query(name)
                return tantivy.Query.range_query(
                    ctx.schema, name, tantivy.FieldType.IpAddr, spec.get("from"), spec.get("to"),
                    include_lower=True, include_upper="to" not in spec)
            return make

        return [(i, maker(spec)) for i, spec in enumerate(self.ranges)]

    def computed_maker(self, spec: dict[str, Any]) -> Maker:
        """The documents of one range on a runtime ip field, as tantivy's range on a column
        counts them: ``from`` included, ``to`` excluded, IPv4 inside IPv6."""
        low = None if "from" not in spec else address_order(spec["from"])
        high = None if "to" not in spec else address_order(spec["to"])

        def inside(found: list[Any]) -> bool:
            numbers = (address_order(v) for v in found)
            return any(n is not None and (low is None or n >= low)
                       and (high is None or n < high) for n in numbers)

        return lambda ctx: self.source.where(ctx, inside)

    def render(self, partial: dict[Any, Bucket]) -> dict[str, Any]:
        buckets = []
        for i, spec in enumerate(self.ranges):
            bucket = partial[i]
            out = {key: spec[key] for key in ("key", "from", "to") if key in spec}
            buckets.append({**out, "doc_count": bucket.doc_count, **render_subs(self, bucket)})
        buckets = apply_parent(self, buckets)
        return {"buckets": keyed_ranges(buckets) if self.keyed else buckets}
