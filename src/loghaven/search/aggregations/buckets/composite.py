"""composite: every combination of source values, paged in key order with ``after``.

tantivy's native composite does the paging per split (its ``after`` values are typed, e.g.
``"str:a"``); the merge keeps the first ``size`` keys of the union, which is exact because
each split returned its own first ``size`` keys after the same ``after``. With a runtime
field among the sources, each split's keys are all computed (search/aggregations/computed.py)
and paged here after the merge, the children run per bucket.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import tantivy

from loghaven.engine.dates import get_format, parse_duration_ms
from loghaven.engine.schema import SEQ_NO
from loghaven.errors import IllegalArgument, ParsingError
from loghaven.search.aggregations.buckets.histogram import DAY_MS
from loghaven.search.aggregations.execute import finish_buckets
from loghaven.search.aggregations.fields import (
    Field,
    address_order,
    format_date,
    require_aggregatable,
    resolve,
)
from loghaven.search.aggregations.pipeline import apply_parent
from loghaven.search.aggregations.render import render_subs
from loghaven.search.aggregations.tree import Bucket, BucketAgg, Scope
from loghaven.search.context import SplitContext

#: Buckets asked of a split whose ``after`` cannot be passed down (null keys of a missing
#: field); they are paged after the merge.
UNPAGED_SIZE = 10_000
_CALENDAR_MS = {"1m": 60_000, "minute": 60_000, "1h": 3_600_000, "hour": 3_600_000,
                "1d": DAY_MS, "day": DAY_MS}


@dataclass
class Source:
    """One ``sources`` entry."""

    name: str
    kind: str  # terms | histogram | date_histogram
    field: Field
    asc: bool
    missing_bucket: bool
    interval: float = 0.0
    format: str | None = None

    def native(self) -> dict[str, Any]:
        if self.kind == "terms":
            body: dict[str, Any] = {"field": self.field.name,
                                    "order": "asc" if self.asc else "desc"}
            if self.missing_bucket:
                body["missing_bucket"] = True
            return {"terms": body}
        body = {"field": self.field.name, "interval": self.interval,
                "order": "asc" if self.asc else "desc"}
        if self.missing_bucket:
            body["missing_bucket"] = True
        return {"histogram": body}

    def key(self, raw: Any) -> Any:
        if raw is None:
            return None
        if self.kind == "histogram":
            return float(raw)
        if self.kind == "date_histogram":
            return int(raw)
        if self.field.kind == "boolean":
            return bool(raw)
        return self.field.key(raw)

    def after_value(self, value: Any) -> Any:
        """An ``after`` value as this source's keys are typed (a formatted date parsed)."""
        if isinstance(value, str) and self.kind == "date_histogram":
            try:
                return get_format(self.field.date_format(self.format)).parse(value)
            except ValueError as exc:
                raise IllegalArgument(f"invalid [after] value [{value}]: {exc}") from None
        return self.key(value)

    def typed(self, value: Any) -> str:
        """An ``after`` value in tantivy's typed form (``null:`` for the missing bucket)."""
        if value is None:
            return "null:"
        if self.kind != "terms":
            return f"f64:{float(value)}"
        kind = self.field.kind
        if kind == "ip":
            return f"ip:{value}"
        if kind == "boolean":
            return f"bool:{'true' if value in (True, 'true', 1) else 'false'}"
        if kind in ("long", "date"):
            return f"i64:{int(value)}"
        if kind == "double":
            number = float(value)
            return f"i64:{int(number)}" if number.is_integer() else f"f64:{number}"
        return f"str:{value}"

    def render(self, key: Any) -> Any:
        if key is not None and self.kind == "date_histogram" and self.format:
            return format_date(key, self.field.date_format(self.format))
        return key


class Composite(BucketAgg):
    type_name = "composite"
    runtime_ok = True

    def setup(self) -> None:
        self.size = self.int_param("size", 10)
        specs = self.param("sources")
        if not isinstance(specs, list) or not specs:
            raise IllegalArgument(f"Composite [sources] cannot be null or empty in [{self.name}]")
        self.sources = [self.source(spec) for spec in specs]
        self.read_runtime(*(source.field for source in self.sources))
        after = self.param("after")
        if after is not None and (not isinstance(after, dict)
                                  or set(after) != {s.name for s in self.sources}):
            given = len(after) if isinstance(after, dict) else 0
            raise IllegalArgument(f"[after] has {given} value(s) but [sources] has "
                                  f"{len(self.sources)}")
        self.after = after

    def source(self, spec: Any) -> Source:
        if not isinstance(spec, dict) or len(spec) != 1:
            raise ParsingError(f"[sources] entries must be single-key objects in [{self.name}]")
        (name, body), = spec.items()
        if not isinstance(body, dict) or len(body) != 1:
            raise ParsingError(f"[{name}] must define one value source in [{self.name}]")
        (kind, params), = body.items()
        if kind not in ("terms", "histogram", "date_histogram"):
            raise IllegalArgument(f"Invalid source type [{kind}] in composite [{self.name}]")
        field = resolve(self.env.contexts, params.get("field", ""))
        require_aggregatable(field)
        asc = str(params.get("order", "asc")).lower() == "asc"
        source = Source(name, kind, field, asc, bool(params.get("missing_bucket", False)))
        if kind == "histogram":
            source.interval = float(params.get("interval", 0))
            if source.interval <= 0:
                raise IllegalArgument(f"[interval] must be greater than 0 for [{name}]")
        elif kind == "date_histogram":
            source.interval = float(self.date_interval(name, params))
            source.format = params.get("format")
        return source

    def date_interval(self, name: str, params: dict[str, Any]) -> int:
        if params.get("time_zone") not in (None, "UTC", "Z", "+00:00") or params.get("offset"):
            raise IllegalArgument(f"composite date_histogram source [{name}]: time_zone and "
                                  f"offset are not supported yet; use a date_histogram "
                                  f"aggregation")
        calendar = params.get("calendar_interval")
        if calendar is not None:
            if calendar not in _CALENDAR_MS:
                raise IllegalArgument(f"composite date_histogram source [{name}]: calendar "
                                      f"interval [{calendar}] is not supported yet (minute, "
                                      f"hour and day are)")
            return _CALENDAR_MS[calendar]
        fixed = params.get("fixed_interval", params.get("interval"))
        try:
            return parse_duration_ms(fixed, "fixed_interval")
        except ValueError as exc:
            raise IllegalArgument(str(exc)) from None

    def request(self, ctx: SplitContext) -> dict[str, Any] | None:
        absent = [s for s in self.sources if not s.field.in_split(ctx)]
        if any(not s.missing_bucket for s in absent):
            return None  # no document of this split has a value for every source
        present = [s for s in self.sources if s not in absent]
        if not present:  # every document falls in the all-null bucket
            return {self.name: self.with_subs({"range": {"field": SEQ_NO, "ranges": [
                {"key": "all"}]}}, ctx)}
        body: dict[str, Any] = {"size": self.size,
                                "sources": [{s.name: s.native()} for s in present]}
        if self.after is not None:
            if all(self.after[s.name] is None for s in absent):
                body["after"] = {s.name: s.typed(s.after_value(self.after[s.name]))
                                 for s in present}
            else:  # the split's null keys do not page like the others: filter after merging
                body["size"] = UNPAGED_SIZE
        return {self.name: self.with_subs({"composite": body}, ctx)}

    def read(self, raw: dict[str, Any], ctx: SplitContext) -> dict[Any, Bucket]:
        got = raw.get(self.name)
        if got is None:
            return {}
        buckets = {}
        for b in got["buckets"]:
            if not b["doc_count"]:
                continue
            values = b["key"] if isinstance(b["key"], dict) else {}
            key = tuple(s.key(values.get(s.name)) if s.field.in_split(ctx) else None
                        for s in self.sources)
            buckets[key] = Bucket(b["doc_count"], self.read_subs(b, ctx))
        return buckets

    def empty(self) -> dict[Any, Bucket]:
        return {}

    def merge(self, a: dict[Any, Bucket], b: dict[Any, Bucket]) -> dict[Any, Bucket]:
        return self.merge_buckets(a, b)

    def compare(self, a: tuple[Any, ...], b: tuple[Any, ...]) -> int:
        for source, x, y in zip(self.sources, a, b, strict=False):
            if x == y:
                continue
            if x is not None and y is not None and source.kind == "terms" \
                    and source.field.kind == "ip":  # pages come in address order, not text
                x, y = address_order(x), address_order(y)
            result = (-1 if x is None else 1) if x is None or y is None else -1 if x < y else 1
            return result if source.asc else -result
        return 0

    def finish(self, partial: dict[Any, Bucket], scope: Scope) -> dict[Any, Bucket]:
        keys = list(partial)
        if self.after is not None:
            after = tuple(s.after_value(self.after[s.name]) for s in self.sources)
            keys = [key for key in keys if self.compare(key, after) > 0]
        keys = sorted(keys, key=functools.cmp_to_key(self.compare))[: self.size]
        kept = {key: partial[key] for key in keys}
        finish_buckets(self, kept, scope)
        return kept

    def bucket_query(self, key: Any, ctx: SplitContext) -> tantivy.Query | None:
        clauses = []
        for source, value in zip(self.sources, key, strict=False):
            if not source.field.in_split(ctx):
                if value is not None:
                    return None
                continue
            if value is None:
                clauses.append((tantivy.Occur.MustNot, source.field.exists_query(ctx)))
            elif source.kind == "terms":
                clauses.append((tantivy.Occur.Must, source.field.term_query(ctx, value)))
            else:
                clauses.append((tantivy.Occur.Must, source.field.range_query(
                    ctx, value, value + source.interval)))
        clauses.append((tantivy.Occur.Must, tantivy.Query.all_query()))
        return tantivy.Query.boolean_query(clauses)

    def render(self, partial: dict[Any, Bucket]) -> dict[str, Any]:
        buckets = []
        for key, bucket in partial.items():
            rendered_key = {s.name: s.render(k) for s, k in zip(self.sources, key, strict=False)}
            buckets.append({"key": rendered_key, "doc_count": bucket.doc_count,
                            **render_subs(self, bucket)})
        buckets = apply_parent(self, buckets)
        out: dict[str, Any] = {}
        if buckets:
            out["after_key"] = buckets[-1]["key"]
        out["buckets"] = buckets
        return out
