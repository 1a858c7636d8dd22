"""histogram, date_histogram and auto_date_histogram.

Numeric and fixed-interval date histograms run as tantivy ``histogram`` aggregations (dates
are i64 epoch milliseconds, so an interval is a number of milliseconds and a time zone is an
offset). Calendar intervals that are not uniform in UTC (months, quarters, years, days in a
zone with daylight saving) become a tantivy ``range`` aggregation over the bucket boundaries,
computed in the zone from the data's first and last date. Splits merge exactly by key;
empty buckets are filled after the merge, between the first and last bucket and to
``extended_bounds``, as ES does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import tantivy

from loghaven.engine.dates import (
    calendar_floor,
    calendar_next,
    get_format,
    get_zone,
    parse_date_math,
    parse_duration_ms,
    utc_offset_ms,
)
from loghaven.errors import IllegalArgument, ParsingError
from loghaven.search.aggregations.computed import aggregate, has_values
from loghaven.search.aggregations.execute import finish_buckets, per_split
from loghaven.search.aggregations.fields import require_numeric
from loghaven.search.aggregations.order import OrderKey, parse_order, rank_buckets
from loghaven.search.aggregations.pipeline import apply_parent
from loghaven.search.aggregations.render import render_subs
from loghaven.search.aggregations.tree import Bucket, BucketAgg, Scope, as_number
from loghaven.search.context import SplitContext
from loghaven.search.limits import check_buckets

DAY_MS = 86_400_000
#: 1970-01-05, the first Monday after the epoch: ISO weeks start there.
MONDAY_OFFSET_MS = 4 * DAY_MS
_UNIT_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": DAY_MS, "w": 7 * DAY_MS}
_CALENDAR = {
    "second": "s", "1s": "s", "minute": "m", "1m": "m", "hour": "h", "1h": "h",
    "day": "d", "1d": "d", "week": "w", "1w": "w", "month": "M", "1M": "M",
    "quarter": "q", "1q": "q", "year": "y", "1y": "y",
}  # fmt: skip
KEY_ORDER = [OrderKey("_key", True)]


def data_bounds(scope: Scope, field: str) -> tuple[int, int] | None:
    """The smallest and largest value of a field in a scope (one stats per split; a runtime
    field's computed)."""
    def one(ctx: SplitContext, query: tantivy.Query) -> tuple[float, float] | None:
        if not has_values(ctx, field):
            return None
        got = aggregate(ctx, query, {"b": {"stats": {"field": field}}})["b"]
        return (got["min"], got["max"]) if got.get("count") else None

    found = [b for b in per_split(scope, one) if b is not None]
    if not found:
        return None
    return int(min(b[0] for b in found)), int(max(b[1] for b in found))


@dataclass
class Rounding:
    """How a date histogram turns an instant into its bucket key.

    ``fixed`` > 0: keys are ``offset + k * fixed`` (native histogram); otherwise keys are
    calendar ``unit`` starts in ``tz``, shifted by ``offset``.
    """

    fixed: int
    offset: int
    unit: str | None = None
    tz: str | None = None
    multiple: int = 1

    def floor(self, t: int) -> int:
        if self.fixed:
            return (t - self.offset) // self.fixed * self.fixed + self.offset
        assert self.unit is not None
        return calendar_floor(t - self.offset, self.unit, self.tz) + self.offset

    def next(self, key: int) -> int:
        if self.fixed:
            return key + self.fixed
        assert self.unit is not None
        for _ in range(self.multiple):
            key = calendar_next(key - self.offset, self.unit, self.tz) + self.offset
        return key


def fixed_offset_zone(tz: str | None, now_ms: int, step: int) -> int | None:
    """The zone's UTC offset if it is the same (modulo ``step``) all year, else None."""
    if tz is None:
        return 0
    summer, winter = utc_offset_ms(now_ms, tz), utc_offset_ms(now_ms - 182 * DAY_MS, tz)
    if summer % step == winter % step and (step < DAY_MS or summer == winter):
        return summer
    return None


class HistogramBase(BucketAgg):
    """Shared by the histograms: keys are numbers, partials are ``{key: Bucket}``."""

    runtime_ok = True

    def setup_common(self) -> None:
        self.source = self.field()
        require_numeric(self.source, self.type_name)
        self.min_doc_count = self.int_param("min_doc_count", 0)
        if self.min_doc_count < 0:
            raise IllegalArgument(f"[min_doc_count] must be greater than or equal to 0. Found "
                                  f"[{self.min_doc_count}] in [{self.name}]")
        self.keyed = bool(self.param("keyed", False))
        self.order = parse_order(self.param("order"), self.name) if "order" in self.params \
            else KEY_ORDER
        self.missing = self.param("missing")
        if isinstance(self.missing, str) and self.source.is_date:
            self.missing = parse_date_math(self.missing, self.env.now_ms,
                                           get_format(self.source.date_format()))

    def native_histogram(self, ctx: SplitContext, interval: float, offset: float,
                         hard: tuple[float | None, float | None] | None) -> dict[str, Any]:
        body: dict[str, Any] = {"field": self.source.name, "interval": interval,
                                "offset": offset, "min_doc_count": 1}
        if hard is not None:
            body["hard_bounds"] = {"min": hard[0] if hard[0] is not None else -1e300,
                                   "max": hard[1] if hard[1] is not None else 1e300}
        if self.missing is not None:
            body["missing"] = self.missing
        return {self.name: self.with_subs({"histogram": body}, ctx)}

    def empty(self) -> dict[Any, Bucket]:
        return {}

    def merge(self, a: dict[Any, Bucket], b: dict[Any, Bucket]) -> dict[Any, Bucket]:
        return self.merge_buckets(a, b)

    def fill(self, buckets: dict[Any, Bucket], bounds: tuple[Any, Any] | None) -> None:
        """Add ES's empty buckets between the first and last key and to the extended bounds."""
        if self.min_doc_count != 0:
            return
        keys = list(buckets)
        if bounds is not None:
            keys += [k for k in bounds if k is not None]
        if not keys:
            return
        key, last = min(keys), max(keys)
        while key <= last:
            if key not in buckets:
                check_buckets(len(buckets) + 1)
                buckets[key] = Bucket(0, self.empty_subs())
            key = self.next_key(key)

    def next_key(self, key: Any) -> Any:
        raise NotImplementedError

    def finish(self, partial: dict[Any, Bucket], scope: Scope) -> dict[Any, Bucket]:
        buckets = {k: b for k, b in partial.items() if b.doc_count >= max(self.min_doc_count, 1)}
        self.fill(buckets, self.fill_bounds(buckets))
        ranked, finished = rank_buckets(self, buckets, self.order, scope)
        if not finished:
            finish_buckets(self, buckets, scope)
        return dict(ranked)

    def fill_bounds(self, buckets: dict[Any, Bucket]) -> tuple[Any, Any] | None:
        return None

    def bucket_map(self, partial: dict[Any, Bucket]) -> dict[Any, Bucket] | None:
        return partial

    def render_key(self, key: Any) -> dict[str, Any]:
        return {"key": key}

    def render(self, partial: dict[Any, Bucket]) -> dict[str, Any]:
        buckets = []
        for key, bucket in partial.items():
            out = self.render_key(key)
            out["doc_count"] = bucket.doc_count
            out.update(render_subs(self, bucket))
            buckets.append(out)
        buckets = apply_parent(self, buckets)
        if self.keyed:
            return {"buckets": {str(b.get("key_as_string", b["key"])): b for b in buckets}}
        return {"buckets": buckets}


class Histogram(HistogramBase):
    type_name = "histogram"

    def setup(self) -> None:
        self.setup_common()
        self.interval = as_number(self.param("interval"), "interval", self.name)
        if self.interval <= 0:
            raise IllegalArgument(f"[interval] must be >0 for histogram aggregation [{self.name}]")
        self.offset = as_number(self.param("offset", 0), "offset", self.name)
        self.extended = _bounds(self.param("extended_bounds"), "extended_bounds", self.name)
        self.hard = _bounds(self.param("hard_bounds"), "hard_bounds", self.name)

    def index(self, key: float) -> int:
        return round((key - self.offset) / self.interval)

    def key_of(self, index: int) -> float:
        return index * self.interval + self.offset

    def request(self, ctx: SplitContext) -> dict[str, Any] | None:
        if not self.source.in_split(ctx):
            return None
        return self.native_histogram(ctx, self.interval, self.offset, self.hard)

    def read(self, raw: dict[str, Any], ctx: SplitContext) -> dict[Any, Bucket]:
        got = raw.get(self.name)
        if got is None:
            return {}
        return {self.key_of(self.index(b["key"])): Bucket(b["doc_count"], self.read_subs(b, ctx))
                for b in got["buckets"] if b["doc_count"]}

    def next_key(self, key: float) -> float:
        return self.key_of(self.index(key) + 1)

    def render_key(self, key: Any) -> dict[str, Any]:
        if self.source.is_date:
            return {"key_as_string": self.source.value_as_string(int(key)), "key": key}
        return {"key": key}

    def fill_bounds(self, buckets: dict[Any, Bucket]) -> tuple[Any, Any] | None:
        if self.extended is None:
            return None
        low, high = _within_hard_bounds(self.extended, self.hard)
        floor = lambda v: None if v is None else self.key_of(  # noqa: E731
            int((v - self.offset) // self.interval))
        return floor(low), floor(high)

    def bucket_query(self, key: Any, ctx: SplitContext) -> tantivy.Query | None:
        if not self.source.in_split(ctx):
            return None
        return self.source.range_query(ctx, key, key + self.interval)


class DateHistogram(HistogramBase):
    type_name = "date_histogram"

    def setup(self) -> None:
        self.setup_common()
        self.tz = self.param("time_zone")
        if self.tz is not None:
            try:
                get_zone(self.tz)
            except ValueError as exc:
                raise IllegalArgument(str(exc)) from None
        self.format = self.source.date_format(self.param("format"))
        self.printer = get_format(self.format)
        self.offset = _offset_ms(self.param("offset", 0), self.name)
        self.rounding = self.plan_rounding()
        self.extended = self.date_bounds(self.param("extended_bounds"), "extended_bounds")
        self.hard = self.date_bounds(self.param("hard_bounds"), "hard_bounds")
        self.boundaries: list[int] = []

    def plan_rounding(self) -> Rounding:
        calendar, fixed = self.param("calendar_interval"), self.param("fixed_interval")
        legacy = self.param("interval")
        if calendar is not None and fixed is not None:
            raise IllegalArgument("Cannot use [fixed_interval] with [calendar_interval] "
                                  "configuration option.")
        if calendar is None and fixed is None:
            if legacy is None:
                raise IllegalArgument("Invalid interval specified, must be non-null and "
                                      "non-empty")
            if isinstance(legacy, str) and legacy in _CALENDAR:
                calendar = legacy
            else:
                fixed = legacy
        if calendar is not None:
            unit = _CALENDAR.get(str(calendar))
            if unit is None:
                raise IllegalArgument(f"The supplied interval [{calendar}] could not be parsed "
                                      f"as a calendar interval.")
            return self.calendar_rounding(unit, 1)
        try:
            if not isinstance(fixed, str):  # ES reads a time value as text: a unit is needed
                raise ValueError(fixed)
            step = parse_duration_ms(fixed, "fixed_interval")
        except ValueError:
            raise IllegalArgument(f"failed to parse setting [date_histogram.fixedInterval] "
                                  f"with value [{fixed}] as a time value: unit is missing or "
                                  f"unrecognized") from None
        if step <= 0:
            raise IllegalArgument(f"[fixed_interval] must be positive in [{self.name}]")
        zone_offset = utc_offset_ms(self.env.now_ms, self.tz) if self.tz else 0
        return Rounding(step, (self.offset - zone_offset) % step)

    def calendar_rounding(self, unit: str, multiple: int) -> Rounding:
        """Native fixed buckets where the unit is uniform in this zone, else calendar ranges."""
        if unit in _UNIT_MS and multiple == 1:
            step = _UNIT_MS[unit]
            zone_offset = fixed_offset_zone(self.tz, self.env.now_ms, step)
            if zone_offset is not None:
                base = MONDAY_OFFSET_MS if unit == "w" else 0
                return Rounding(step, (base + self.offset - zone_offset) % step, unit, self.tz)
        return Rounding(0, self.offset, unit, self.tz, multiple)

    def date_bounds(self, value: Any, what: str) -> tuple[int | None, int | None] | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise ParsingError(f"[{what}] must be an object in [{self.name}]")
        fmt = self.printer if self.param("format") else None
        out = []
        for key in ("min", "max"):
            raw = value.get(key)
            if raw is None:
                out.append(None)
                continue
            try:
                out.append(parse_date_math(raw, self.env.now_ms, fmt, self.tz))
            except ValueError as exc:
                raise ParsingError(f"[{what}] failed to parse [{raw}]: {exc}") from None
        return out[0], out[1]

    def prepare(self, scope: Scope) -> None:
        if self.rounding.fixed:
            return
        bounds = data_bounds(scope, self.source.name)
        self.boundaries = []
        if bounds is None:
            return
        key, end = self.rounding.floor(bounds[0]), bounds[1]
        while key <= end:
            check_buckets(len(self.boundaries) + 1)
            self.boundaries.append(key)
            key = self.rounding.next(key)
        self.boundaries.append(key)

    def request(self, ctx: SplitContext) -> dict[str, Any] | None:
        if not self.source.in_split(ctx):
            return None
        if self.rounding.fixed:
            return self.native_histogram(ctx, self.rounding.fixed, self.rounding.offset,
                                         self.hard)
        if len(self.boundaries) < 2:
            return None
        ranges = [{"from": a, "to": b} for a, b in zip(self.boundaries, self.boundaries[1:],
                                                       strict=False)]
        return {self.name: self.with_subs({"range": {"field": self.source.name,
                                                     "ranges": ranges}}, ctx)}

    def read(self, raw: dict[str, Any], ctx: SplitContext) -> dict[Any, Bucket]:
        got = raw.get(self.name)
        if got is None:
            return {}
        buckets = {}
        for b in got["buckets"]:
            if not b["doc_count"]:
                continue
            if self.rounding.fixed:
                key = round(b["key"])
            elif "from" in b and "to" in b:
                key = int(b["from"])
            else:
                continue
            if self.hard is not None and not _within(key, self.hard):
                continue
            buckets[key] = Bucket(b["doc_count"], self.read_subs(b, ctx))
        return buckets

    def next_key(self, key: int) -> int:
        return self.rounding.next(key)

    def fill_bounds(self, buckets: dict[Any, Bucket]) -> tuple[Any, Any] | None:
        if self.extended is None:
            return None
        low, high = _within_hard_bounds(self.extended, self.hard)
        return (None if low is None else self.rounding.floor(low),
                None if high is None else self.rounding.floor(high))

    def render_key(self, key: Any) -> dict[str, Any]:
        return {"key_as_string": self.printer.format(key, self.tz), "key": key}

    def bucket_query(self, key: Any, ctx: SplitContext) -> tantivy.Query | None:
        if not self.source.in_split(ctx):
            return None
        return self.source.range_query(ctx, key, self.rounding.next(key))


#: auto_date_histogram's roundings, finest first: (unit, multiples, fixed length of one unit).
_AUTO_LADDER = [
    ("s", (1, 5, 10, 30), 1000), ("m", (1, 5, 10, 30), 60_000), ("h", (1, 3, 12), 3_600_000),
    ("d", (1, 7), DAY_MS), ("M", (1, 3), 30 * DAY_MS), ("y", (1, 5, 10, 20, 50, 100), 365 * DAY_MS),
]  # fmt: skip


class AutoDateHistogram(DateHistogram):
    """Picks the finest rounding that gives at most ``buckets`` buckets, as ES does."""

    type_name = "auto_date_histogram"

    def plan_rounding(self) -> Rounding:
        self.min_doc_count = 0
        self.target = self.int_param("buckets", 10)
        if self.target <= 0:
            raise IllegalArgument(f"[buckets] must be greater than 0 in [{self.name}]")
        self.interval = "1s"
        return Rounding(1000, 0, "s", self.tz)

    def prepare(self, scope: Scope) -> None:
        bounds = data_bounds(scope, self.source.name)
        self.rounding, self.interval = self.calendar_rounding("s", 1), "1s"
        if bounds is not None:
            for unit, multiples, length in _AUTO_LADDER:
                chosen = next((m for m in multiples
                               if (bounds[1] - bounds[0]) // (length * m) + 1 <= self.target), None)
                if chosen is not None:
                    self.pick(unit, chosen, bounds[0])
                    break
        super().prepare(scope)

    def pick(self, unit: str, multiple: int, first: int) -> None:
        if unit in "smhd":
            step = _UNIT_MS[unit] * multiple
            start = self.calendar_rounding(unit, 1).floor(first)
            self.rounding = Rounding(step, start % step, unit, self.tz)
        else:
            self.rounding = self.calendar_rounding(unit, multiple)
        self.interval = f"{multiple}{unit}"

    def bucket_map(self, partial: dict[Any, Bucket]) -> dict[Any, Bucket] | None:
        return None  # another scope could pick another interval

    def render(self, partial: dict[Any, Bucket]) -> dict[str, Any]:
        return {**super().render(partial), "interval": self.interval}


def _within(key: float, bounds: tuple[Any, Any]) -> bool:
    return (bounds[0] is None or key >= bounds[0]) and (bounds[1] is None or key <= bounds[1])


def _bounds(value: Any, what: str, name: str) -> tuple[float | None, float | None] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ParsingError(f"[{what}] must be an object in [{name}]")
    low, high = value.get("min"), value.get("max")
    return (None if low is None else float(low), None if high is None else float(high))


def _offset_ms(value: Any, name: str) -> int:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    text = str(value).strip()
    sign = -1 if text.startswith("-") else 1
    try:
        return sign * parse_duration_ms(text.lstrip("+-"), "offset")
    except ValueError as exc:
        raise IllegalArgument(f"failed to parse offset [{value}] in [{name}]: {exc}") from None


def _within_hard_bounds(extended: tuple[Any, Any], hard: tuple[Any, Any] | None) -> tuple[Any, Any]:
    """``extended_bounds`` narrowed to ``hard_bounds``: empty buckets never fill past them."""
    low, high = extended
    if hard is not None:
        low = low if hard[0] is None or low is None else max(low, hard[0])
        high = high if hard[1] is None or high is None else min(high, hard[1])
    return low, high
