"""terms: top buckets by field value, reduced across splits like ES reduces shards.

Each split returns its top ``shard_size`` terms (``size * 1.5 + 10`` when several splits take
part, as ES does for several shards); the merge sums counts per term, then keeps the top
``size``. ``sum_other_doc_count`` adds what every split left out and what the merge cut;
``doc_count_error_upper_bound`` sums each split's worst case (its last returned count when
ordered by count), so the bounds stay honest.

On a keyword field that field-level security masks (search/field_security.py), a split's
keys are hashed as they are read, so buckets group, order and filter (``include``/``exclude``)
by the hashes as OpenSearch's masked doc values do; the clear key of each hash is kept to
narrow a bucket's documents for sub-aggregations. The work is per bucket, not per document.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import tantivy

from loghaven.engine.dates import get_format, parse_date_math
from loghaven.engine.schema import SEQ_NO
from loghaven.errors import ParsingError
from loghaven.search.aggregations.computed import aggregate
from loghaven.search.aggregations.execute import finish_buckets
from loghaven.search.aggregations.fields import Field, require_aggregatable, resolve
from loghaven.search.aggregations.order import OrderKey, native_path, parse_order, rank_buckets
from loghaven.search.aggregations.pipeline import apply_parent
from loghaven.search.aggregations.render import render_subs
from loghaven.search.aggregations.tree import Bucket, BucketAgg, Scope
from loghaven.search.context import SplitContext
from loghaven.search.field_security import Masker

DEFAULT_ORDER = [OrderKey("_count", False)]
#: The metadata field terms can split on across an index pattern.
INDEX_FIELD = "_index"
#: Terms fetched per split when include/exclude must be applied after tantivy.
FILTERED_SPLIT_SIZE = 65_000


@dataclass
class TermsPartial:
    buckets: dict[Any, Bucket] = field(default_factory=dict)
    other: int = 0
    #: Sum of per-split worst cases; -1 when a split cannot bound it (sub-aggregation order).
    error: int = 0
    parts: int = 0


class Terms(BucketAgg):
    type_name = "terms"
    runtime_ok = True

    def setup(self) -> None:
        self.source = self.field()
        self.setup_options()

    def masker(self, ctx: SplitContext) -> Masker | None:
        """How this split shows the field's keys, when field-level security masks it."""
        fields = ctx.restriction.fields if ctx.restriction is not None else None
        name = self.source.name
        if fields is None or self.type_name != "terms" or self.source.kind != "keyword" \
                or not fields.visible(name) or name not in ctx.split.field_names:
            return None
        return fields.masker(name)

    def present(self, ctx: SplitContext) -> bool:
        return self.source.in_split(ctx) or self.masker(ctx) is not None

    def setup_options(self) -> None:
        self.size = _positive(self.param("size", 10), "size", self.name)
        shard_size = self.param("shard_size")
        self.shard_size = None if shard_size is None else max(int(shard_size), self.size)
        self.order = parse_order(self.param("order"), self.name) if "order" in self.params \
            else DEFAULT_ORDER
        self.min_doc_count = self.int_param("min_doc_count", 1)
        self.shard_min_doc_count = self.int_param("shard_min_doc_count", 0)
        self.show_error = bool(self.param("show_term_doc_count_error", False))
        self.missing = self.param("missing")
        if self.missing is not None and self.source.is_date and isinstance(self.missing, str):
            self.missing = parse_date_math(self.missing, self.env.now_ms,
                                           get_format(self.source.date_format()))
        self.format = self.param("format")
        self.split_size = self.size
        self._all_terms: set[Any] | None = None
        #: Masked key → clear key, for the splits that mask the field.
        self.clear: dict[str, Any] = {}
        # tantivy filters terms only on keyword fields (clear ones); others are filtered after
        # the fact
        self.masked = any(self.masker(ctx) is not None for ctx in self.env.contexts)
        self.key_filter = None if self.source.kind == "keyword" and not self.masked \
            and self.source.runtime is None else \
            key_filter(self.source, self.param("include"), self.param("exclude"))

    def prepare(self, scope: Scope) -> None:
        if self.shard_size is not None:
            self.split_size = self.shard_size
        else:
            self.split_size = self.size if len(scope) == 1 else int(self.size * 1.5 + 10)
        if self.key_filter is not None or self.masked or not self._cut_as_es_cuts():
            # filtered or ranked here (masked keys: tantivy would order and cut by the clear
            # ones; other orders: below), so every term of the split comes back
            self.split_size = max(self.split_size, FILTERED_SPLIT_SIZE)

    def _cut_as_es_cuts(self) -> bool:
        """Whether tantivy's top terms of a split are the ones ES's shard would keep: by
        key, or by count (the default). Ordered by a sub-aggregation, tantivy cuts by count
        when it cannot read the value (a path through a ``filter``, a runtime terms' child)
        and breaks ties its own way when it can, where ES breaks them by key; so those
        terms are all ranked here."""
        if len(self.order) != 1:
            return False
        first = self.order[0]
        return first.is_key or (first.is_count and not first.asc)

    def native_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"field": self.source.name, "size": self.split_size,
                                "min_doc_count": max(self.shard_min_doc_count, 1)}
        native_order = native_path(self.native_subs, self.order[0])
        if native_order is not None and not (native_order == "_count" and not self.order[0].asc
                                             and len(self.order) == 1):
            body["order"] = {native_order: "asc" if self.order[0].asc else "desc"}
        if self.key_filter is None:
            for key in ("include", "exclude"):
                if key in self.params:
                    body[key] = self.params[key]
        if self.missing is not None:
            body["missing"] = self.missing
        return body

    def constant_key(self, ctx: SplitContext) -> Any:
        """The one key every document of this split has, if so: its index name for
        ``_index``, the ``missing`` value when the split has no such field."""
        if self.source.name == INDEX_FIELD:
            return ctx.index.name
        if not self.present(ctx):
            return self.missing
        return None

    def request(self, ctx: SplitContext) -> dict[str, Any] | None:
        if self.constant_key(ctx) is not None:
            # one bucket of every document (``_seq_no`` is in every split)
            return {self.name: self.with_subs({"range": {"field": SEQ_NO, "ranges": [
                {"key": "all"}]}}, ctx)}
        if not self.present(ctx):
            return None
        return {self.name: self.with_subs({"terms": self.native_body()}, ctx)}

    def split_error(self, raw: dict[str, Any], buckets: list[dict[str, Any]]) -> int:
        """ES's per-shard error: 0 when all terms came back or keys order them, else the
        last count for count-descending order, else unknown (-1)."""
        first = self.order[0]
        if len(buckets) < self.split_size or first.is_key:
            return 0
        if first.is_count and not first.asc:
            return int(raw.get("doc_count_error_upper_bound") or buckets[-1]["doc_count"])
        return -1

    def read(self, raw: dict[str, Any], ctx: SplitContext) -> TermsPartial:
        got = raw.get(self.name)
        if got is None:
            return self.empty()
        buckets = got.get("buckets", [])
        partial = TermsPartial(other=int(got.get("sum_other_doc_count") or 0),
                               error=self.split_error(got, buckets), parts=1)
        constant = self.constant_key(ctx)
        masker = self.masker(ctx) if constant is None else None
        for raw_bucket in buckets:
            if constant is not None:
                raw_bucket = {**raw_bucket, "key": constant}
            if not raw_bucket["doc_count"]:
                continue
            key = self.source.key(raw_bucket["key"])
            if masker is not None:
                key = self.masked_key(masker, key)
            if self.key_filter is not None and not self.key_filter(key):
                continue
            partial.buckets[key] = Bucket(raw_bucket["doc_count"],
                                          self.read_subs(raw_bucket, ctx), {"error": 0})
        return partial

    def empty(self) -> TermsPartial:
        return TermsPartial()

    def merge(self, a: TermsPartial, b: TermsPartial) -> TermsPartial:
        merged = self.merge_buckets(a.buckets, b.buckets)
        for key, bucket in merged.items():
            in_a, in_b = key in a.buckets, key in b.buckets
            error = (a.buckets[key].extra["error"] if in_a else a.error) + \
                    (b.buckets[key].extra["error"] if in_b else b.error)
            bucket.extra = {"error": error if a.error >= 0 and b.error >= 0 else -1}
        error = -1 if a.error < 0 or b.error < 0 else a.error + b.error
        return TermsPartial(merged, a.other + b.other, error, a.parts + b.parts)

    def finish(self, partial: TermsPartial, scope: Scope) -> TermsPartial:
        items = {k: b for k, b in partial.buckets.items() if b.doc_count >= self.min_doc_count}
        if self.min_doc_count == 0:
            for key in self.all_terms():
                items.setdefault(key, Bucket(0, self.empty_subs(), {"error": 0}))
        ranked, finished = rank_buckets(self, items, self.order, scope)
        kept = dict(ranked[: self.size])
        other = partial.other + sum(b.doc_count for _, b in ranked[self.size:])
        if not finished:
            finish_buckets(self, kept, scope)
        error = 0 if partial.parts <= 1 else partial.error
        return TermsPartial(kept, other, error, partial.parts)

    def all_terms(self) -> set[Any]:
        """Every term of the field in the target indices (``min_doc_count: 0`` shows them)."""
        if self._all_terms is None:
            terms: dict[str, Any] = {"field": self.source.name, "size": FILTERED_SPLIT_SIZE}
            if self.key_filter is None:
                terms.update({k: self.params[k] for k in ("include", "exclude")
                              if k in self.params})
            body = {"t": {"terms": terms}}
            self._all_terms = set()
            for ctx in self.env.contexts:
                if self.present(ctx):
                    got = aggregate(ctx, ctx.visible, body)["t"]["buckets"]
                    keys = [self.source.key(b["key"]) for b in got]
                    masker = self.masker(ctx)
                    if masker is not None:
                        keys = [self.masked_key(masker, key) for key in keys]
                    self._all_terms.update(keys)
            if self.key_filter is not None:
                self._all_terms = {k for k in self._all_terms if self.key_filter(k)}
        return self._all_terms

    def masked_key(self, masker: Masker, key: str) -> str:
        masked = masker.mask(key)
        self.clear[masked] = key
        return masked

    def bucket_query(self, key: Any, ctx: SplitContext) -> tantivy.Query | None:
        constant = self.constant_key(ctx)
        if constant is not None:
            return tantivy.Query.all_query() if key == self.source.key(constant) else None
        if self.masker(ctx) is not None:
            if key not in self.clear:
                return None
            key = self.clear[key]
        is_missing = self.missing is not None and key == self.source.key(self.missing)
        query = self.source.term_query(ctx, key)
        if is_missing:
            absent = tantivy.Query.boolean_query([
                (tantivy.Occur.Must, tantivy.Query.all_query()),
                (tantivy.Occur.MustNot, self.source.exists_query(ctx))])
            query = tantivy.Query.boolean_query([(tantivy.Occur.Should, query),
                                                 (tantivy.Occur.Should, absent)])
        return query

    def render_key(self, key: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"key": key}
        if self.source.kind in ("date", "boolean"):
            out["key_as_string"] = self.source.value_as_string(key, self.format)
        return out

    def render(self, partial: TermsPartial) -> dict[str, Any]:
        buckets = []
        for key, bucket in partial.buckets.items():
            out = self.render_key(key)
            out["doc_count"] = bucket.doc_count
            if self.show_error:
                out["doc_count_error_upper_bound"] = 0 if partial.parts <= 1 else \
                    bucket.extra.get("error", 0)
            out.update(render_subs(self, bucket))
            buckets.append(out)
        buckets = apply_parent(self, buckets)
        return {"doc_count_error_upper_bound": partial.error,
                "sum_other_doc_count": partial.other, "buckets": buckets}


def key_filter(source: Field, include: Any, exclude: Any) -> Callable[[Any], bool] | None:
    """ES ``include``/``exclude`` (a regex over the key's text, or a list of values) as a
    predicate over keys; None when neither is given."""
    if include is None and exclude is None:
        return None

    def matcher(spec: Any) -> Callable[[Any], bool]:
        if isinstance(spec, str):
            pattern = re.compile(spec)
            return lambda key: pattern.fullmatch(str(key)) is not None
        if isinstance(spec, list):
            wanted = {source.key(v) if source.is_numeric else str(v) for v in spec}
            return lambda key: key in wanted
        raise ParsingError("[include] and [exclude] must be a regular expression or an array")

    keep = matcher(include) if include is not None else None
    drop = matcher(exclude) if exclude is not None else None
    return lambda key: (keep is None or keep(key)) and (drop is None or not drop(key))


def _positive(value: Any, name: str, agg: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ParsingError(f"[{name}] must be a number in [{agg}]") from None
    if number <= 0:
        raise ParsingError(f"[{name}] must be greater than 0. Found [{number}] in [{agg}]")
    return number


class MultiTerms(Terms):
    """multi_terms: terms over a tuple of fields; keys are lists, ``key_as_string`` joins
    them with ``|``. With a runtime field among them, the request is answered by
    :mod:`..computed` (pairing it with the mapped fields' values) and the children run per
    bucket, as for a runtime terms."""

    type_name = "multi_terms"
    runtime_ok = True

    def setup(self) -> None:
        specs = self.param("terms")
        if not isinstance(specs, list) or len(specs) < 2:
            raise ParsingError(f"The [terms] parameter in the aggregation [{self.name}] must be "
                               f"present and have at least 2 fields")
        self.sources = []
        for spec in specs:
            if not isinstance(spec, dict) or not isinstance(spec.get("field"), str):
                raise ParsingError(f"[terms] entries need a [field] in [{self.name}]")
            source = resolve(self.env.contexts, spec["field"])
            require_aggregatable(source)
            self.sources.append(source)
        self.read_runtime(*self.sources)
        self.source = self.sources[0]
        self.setup_options()

    def native_body(self) -> dict[str, Any]:
        body = super().native_body()
        del body["field"]
        body.pop("missing", None)
        body["terms"] = [{"field": source.name} for source in self.sources]
        return body

    def request(self, ctx: SplitContext) -> dict[str, Any] | None:
        if not all(source.in_split(ctx) for source in self.sources):
            return None
        return {self.name: self.with_subs({"multi_terms": self.native_body()}, ctx)}

    def read(self, raw: dict[str, Any], ctx: SplitContext) -> TermsPartial:
        got = raw.get(self.name)
        if got is None:
            return self.empty()
        buckets = got.get("buckets", [])
        partial = TermsPartial(other=int(got.get("sum_other_doc_count") or 0),
                               error=self.split_error(got, buckets), parts=1)
        for raw_bucket in buckets:
            key = tuple(source.key(k) for source, k in zip(self.sources, raw_bucket["key"],
                                                            strict=False))
            partial.buckets[key] = Bucket(raw_bucket["doc_count"],
                                          self.read_subs(raw_bucket, ctx), {"error": 0})
        return partial

    def bucket_query(self, key: Any, ctx: SplitContext) -> tantivy.Query | None:
        if not all(source.in_split(ctx) for source in self.sources):
            return None
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, source.term_query(ctx, k))
                                            for source, k in zip(self.sources, key, strict=False)])

    def render_key(self, key: Any) -> dict[str, Any]:
        parts = [source.value_as_string(k) if source.kind in ("date", "boolean") else str(k)
                 for source, k in zip(self.sources, key, strict=False)]
        return {"key": list(key), "key_as_string": "|".join(parts)}
