"""The typed aggregation tree: one node per requested aggregation, planned once per request.

A node knows how to ask tantivy for its part of a split's native aggregation request
(:meth:`Agg.request`), how to turn that split's answer into a mergeable partial
(:meth:`Agg.read`), how to merge two partials the way a coordinating node reduces shard
results (:meth:`Agg.merge`), and how to print the final partial in Elasticsearch's shape
(:meth:`Agg.render`). Nodes tantivy cannot run natively (filters, top hits, ...) run
themselves over a scope (:meth:`Agg.run`); under a native bucket aggregation they are
deferred and run once per final bucket, narrowed to that bucket's documents. A node over a
runtime field is ``computed``: the same node, its requests answered from the documents'
computed values (:mod:`.computed`) instead of by tantivy, so it is deferred like those,
and so are all of its own children.

The tree only describes: running it over splits (and finishing buckets) is :mod:`.execute`'s
job, sorting buckets :mod:`.order`'s and printing them :mod:`.render`'s. They import this
module, never the reverse.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import tantivy

from loghaven.errors import IllegalArgument, ParsingError
from loghaven.search.aggregations.fields import (
    Field,
    not_on_runtime,
    require_aggregatable,
    resolve,
)
from loghaven.search.context import SplitContext

#: The documents an aggregation sees: each split with the query that selects them.
Scope = list[tuple[SplitContext, tantivy.Query]]
#: Makes a filter-like aggregation's query in a split (None: no document there).
Maker = Callable[[SplitContext], tantivy.Query | None]

@dataclass
class Env:
    """What every node of one request shares."""

    contexts: list[SplitContext]
    now_ms: int

    def every_split(self) -> list[SplitContext]:
        """Every split of the target indices, the ones the search pruned by time too
        (``global`` and significant_terms' background ignore the query)."""
        seen: dict[int, SplitContext] = {id(ctx.split): ctx for ctx in self.contexts}
        restrictions = {id(ctx.index): ctx.restriction for ctx in self.contexts}
        runtimes = {id(ctx.index): ctx.runtime for ctx in self.contexts}
        for index in {id(ctx.index): ctx.index for ctx in self.contexts}.values():
            for split in index.searchable_splits():
                if id(split) not in seen:
                    ctx = SplitContext(index, split, split.searcher(),
                                       tantivy.Query.all_query(), self.contexts[0].task,
                                       restrictions.get(id(index)))
                    values = runtimes.get(id(index))
                    ctx.runtime = values.on(ctx) if values is not None else None
                    seen[id(split)] = ctx
        return list(seen.values())


@dataclass
class Bucket:
    """One bucket of a partial result: its count, its sub-aggregation partials, and
    per-type details (a term's error bound, a significant term's score)."""

    doc_count: int
    subs: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def as_number(value: Any, what: str, agg: str) -> float:
    """A number, also from the numeric strings some clients send (Grafana's percents)."""
    try:
        if isinstance(value, bool):
            raise ValueError
        return float(value)
    except (TypeError, ValueError):
        raise ParsingError(f"[{what}] must be a number in [{agg}], got [{value}]") from None


def as_int(value: Any, what: str, agg: str) -> int:
    """An integer option; integral numbers and numeric strings are read as ES reads them."""
    number = as_number(value, what, agg)
    if not number.is_integer() or abs(number) > 2**63 - 1:
        raise ParsingError(f"[{what}] must be an integer in [{agg}], got [{value}]")
    return int(number)


class Agg:
    """An aggregation node; subclasses set ``type_name`` and override what they need."""

    type_name: ClassVar[str] = ""
    #: Whether tantivy runs it inside a split's aggregation request (not when computed).
    native: bool = True
    #: Whether it reads runtime fields: by its fields, when its requests are ones
    #: :mod:`.computed` answers (terms, multi_terms, histograms, ranges, stats, distinct
    #: values, composite, weighted_avg), in its queries (filter, filters, missing, ip_range,
    #: rare_terms) or in its searches (top_metrics). Others refuse them at planning.
    runtime_ok: ClassVar[bool] = False
    #: Whether it reads a runtime field (set by :meth:`field`, or by the setup of a type
    #: reading several fields).
    computed: bool = False
    #: Whether it may hold sub-aggregations.
    has_buckets: ClassVar[bool] = False

    @property
    def requests_computed(self) -> bool:
        """Whether it runs as its tantivy requests answered by :mod:`.computed`: a type
        tantivy runs, over a runtime field. A type that runs itself (:meth:`run`) still
        does, narrowing by its runtime field's values through its queries."""
        return self.computed and type(self).native

    def __init__(self, name: str, params: Any, subs: list[Agg], pipelines: list[Any],
                 meta: dict[str, Any] | None, env: Env) -> None:
        self.name = name
        self.params = params if isinstance(params, dict) else {}
        self.subs = subs
        self.pipelines = pipelines
        self.meta = meta
        self.env = env
        if subs and not self.has_buckets:
            raise ParsingError(
                f"Aggregator [{name}] of type [{self.type_name}] cannot accept sub-aggregations")
        self.setup()

    def setup(self) -> None:
        """Validate and interpret ``self.params`` (called once, at planning)."""

    # --- helpers for subclasses --------------------------------------------------------------

    def param(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)

    def int_param(self, key: str, default: int) -> int:
        """An integer option (``size``, ``min_doc_count``...), a 400 when it is not one."""
        return as_int(self.params.get(key, default), key, self.name)

    def float_param(self, key: str, default: float) -> float:
        return as_number(self.params.get(key, default), key, self.name)

    def field(self) -> Field:
        """The ``field`` parameter, resolved; refuses text fields and value scripts, and
        runtime fields where this type cannot read them."""
        if "script" in self.params:
            raise IllegalArgument(
                f"[{self.type_name}] aggregation [{self.name}] uses a script: Loghaven runs "
                f"Painless only in bucket_script and bucket_selector (arithmetic over params); "
                f"aggregate on a field instead")
        name = self.params.get("field")
        if name is None:
            raise ParsingError(f"Required one of fields [field, script], but none were "
                               f"specified. in [{self.name}]")
        if not isinstance(name, str):
            raise ParsingError(f"[{self.type_name}] [field] must be a string in [{self.name}]")
        resolved = resolve(self.env.contexts, name)
        if resolved.runtime is not None:
            if not self.runtime_ok:
                raise not_on_runtime(self.type_name, self.name, name)
            self.read_runtime(resolved)
        require_aggregatable(resolved)
        return resolved

    def filters(self) -> list[tuple[Any, Maker]] | None:
        """A filter-like aggregation's (key, query maker) pairs, one per bucket (filter,
        filters, missing, ip_range); None for every other type."""
        return None

    def read_runtime(self, *fields: Field) -> None:
        """If one of ``fields`` is a runtime field, mark this node as reading it: out of
        tantivy's requests, so its own are answered by :mod:`.computed` (or its :meth:`run`
        narrows by the values)."""
        if all(each.runtime is None for each in fields):
            return
        self.native, self.computed = False, True

    # --- the protocol --------------------------------------------------------------------------

    def walk(self) -> Iterator[Agg]:
        """This node and its native descendants (the ones planned into one request)."""
        yield self
        for sub in self.subs:
            if sub.native:
                yield from sub.walk()

    def prepare(self, scope: Scope) -> None:
        """Look at the data before the request is built (e.g. a date range to cut buckets)."""

    def request(self, ctx: SplitContext) -> dict[str, Any] | None:
        """The tantivy aggregations (name → body) this node adds to a split's request,
        or None when the split holds none of its values."""
        raise NotImplementedError

    def read(self, raw: dict[str, Any], ctx: SplitContext) -> Any:
        """This node's partial from the tantivy response of one split (its level's dict);
        :meth:`empty` when its entries are absent (the split lacks the field)."""
        raise NotImplementedError

    def empty(self) -> Any:
        """The partial of no documents."""
        raise NotImplementedError

    def merge(self, a: Any, b: Any) -> Any:
        raise NotImplementedError

    def run(self, scope: Scope) -> Any:
        """A partial for the whole scope, for nodes that are not native."""
        raise NotImplementedError

    def finish(self, partial: Any, scope: Scope) -> Any:
        """Final touches once all splits are merged: cut to size, run deferred children."""
        return partial

    def render(self, partial: Any) -> dict[str, Any]:
        raise NotImplementedError


class BucketAgg(Agg):
    """An aggregation whose result is buckets, each holding sub-aggregation results.

    Partials hold ``{key: Bucket}`` (plus whatever a subclass keeps beside them, such as a
    terms error bound); subclasses define :meth:`bucket_query` so that deferred children can
    run on one bucket's documents.
    """

    has_buckets = True

    @functools.cached_property
    def native_subs(self) -> list[Agg]:
        """The children tantivy runs inside this node's request (none when it is computed)."""
        return [] if self.computed else [sub for sub in self.subs if sub.native]

    @functools.cached_property
    def deferred_subs(self) -> list[Agg]:
        native = self.native_subs
        return [sub for sub in self.subs if sub not in native]

    def needs_scope(self) -> bool:
        """Whether finishing needs the documents of each bucket (deferred children below)."""
        return any(sub in self.deferred_subs or (isinstance(sub, BucketAgg) and sub.needs_scope())
                   for sub in self.subs)

    def sub_requests(self, ctx: SplitContext) -> dict[str, Any]:
        requests: dict[str, Any] = {}
        for sub in self.native_subs:
            body = sub.request(ctx)
            if body:
                requests.update(body)
        return requests

    def with_subs(self, body: dict[str, Any], ctx: SplitContext) -> dict[str, Any]:
        subs = self.sub_requests(ctx)
        if subs:
            body["aggs"] = subs
        return body

    def read_subs(self, raw_bucket: dict[str, Any], ctx: SplitContext) -> dict[str, Any]:
        if not self.subs:
            return {}
        return {sub.name: sub.read(raw_bucket, ctx) for sub in self.native_subs}

    def empty_subs(self) -> dict[str, Any]:
        return {sub.name: sub.empty() for sub in self.subs}

    def merge_bucket(self, a: Bucket, b: Bucket) -> Bucket:
        subs = dict(a.subs)
        for sub in self.subs:
            if sub.name in b.subs:
                subs[sub.name] = (sub.merge(subs[sub.name], b.subs[sub.name])
                                  if sub.name in subs else b.subs[sub.name])
        return Bucket(a.doc_count + b.doc_count, subs, {**b.extra, **a.extra})

    def merge_buckets(self, a: dict[Any, Bucket], b: dict[Any, Bucket]) -> dict[Any, Bucket]:
        merged = dict(a)
        for key, bucket in b.items():
            mine = merged.get(key)
            merged[key] = bucket if mine is None else self.merge_bucket(mine, bucket)
        return merged

    def single_bucket(self, partial: Any) -> Bucket | None:
        """The one bucket of a single-bucket aggregation (filter, missing, global)."""
        return None

    def bucket_query(self, key: Any, ctx: SplitContext) -> tantivy.Query | None:
        """The documents of one bucket in one split (for deferred children)."""
        raise NotImplementedError

    def bucket_map(self, partial: Any) -> dict[Any, Bucket] | None:
        """The ``{key: Bucket}`` of a finished partial, for aggregations whose keys do not
        depend on which documents they see (histograms, ranges); None otherwise."""
        return None

class MetricAgg(Agg):
    """A leaf aggregation with one or more numeric values (what ``order`` and
    ``buckets_path`` can point at)."""

    def value_of(self, partial: Any, metric: str | None) -> float | None:
        """The value named by a ``buckets_path``/``order`` suffix (``stats.max``, ``p[99]``)."""
        rendered = self.render(partial)
        if metric is None:
            if "value" not in rendered:
                raise ParsingError(f"buckets_path must reference either a number value or a "
                                   f"single value numeric metric aggregation, got: "
                                   f"[{self.type_name}] at aggregation [{self.name}]")
            return rendered["value"]
        if metric in rendered and not isinstance(rendered[metric], dict):
            return rendered[metric]
        values = rendered.get("values")
        if isinstance(values, dict):
            for key, value in values.items():
                if key == metric or _same_number(key, metric):
                    return value
        raise ParsingError(f"No aggregation found for path [{self.name}.{metric}]")

    def native_order(self, metric: str | None) -> str | None:
        """The tantivy ``order`` key sorting buckets by this metric, if tantivy can."""
        return None


def _same_number(a: str, b: str) -> bool:
    try:
        return float(a) == float(b)
    except ValueError:
        return False
