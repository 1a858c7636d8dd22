"""min, max, avg, sum, value_count, stats and extended_stats: exact, from tantivy's stats.

Every one of them keeps the same partial (count, sum, min, max, sum of squares), which
merges exactly across splits; each prints the part of it ES prints.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from loghaven.search.aggregations.fields import require_numeric
from loghaven.search.aggregations.tree import MetricAgg
from loghaven.search.context import SplitContext


@dataclass(frozen=True)
class Stats:
    count: int = 0
    sum: float = 0.0
    min: float | None = None
    max: float | None = None
    sum_of_squares: float = 0.0

    def __add__(self, other: Stats) -> Stats:
        return Stats(self.count + other.count, self.sum + other.sum,
                     _pick(min, self.min, other.min), _pick(max, self.max, other.max),
                     self.sum_of_squares + other.sum_of_squares)

    @property
    def avg(self) -> float | None:
        return self.sum / self.count if self.count else None


def _pick(choose: Any, a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return choose(a, b)


class StatsMetric(MetricAgg):
    """Base of the stats family: one native stats (or extended_stats) per split."""

    native_type = "stats"
    numeric_only = True
    runtime_ok = True

    def setup(self) -> None:
        self.source = self.field()
        self.format = self.param("format")
        if self.numeric_only:
            require_numeric(self.source, self.type_name)

    def request(self, ctx: SplitContext) -> dict[str, Any] | None:
        if not self.source.in_split(ctx):
            return None
        body: dict[str, Any] = {"field": self.source.name}
        if "missing" in self.params:
            body["missing"] = self.params["missing"]
        return {self.name: {self.native_type: body}}

    def read(self, raw: dict[str, Any], ctx: SplitContext) -> Stats:
        got = raw.get(self.name)
        if not got or not got.get("count"):
            return Stats()
        return Stats(int(got["count"]), float(got["sum"]), got["min"], got["max"],
                     float(got.get("sum_of_squares") or 0.0))

    def empty(self) -> Stats:
        return Stats()

    def merge(self, a: Stats, b: Stats) -> Stats:
        return a + b

    def as_string(self, value: float | None) -> str | None:
        """The ``*_as_string`` companion ES adds to values of date fields."""
        if value is None or not self.source.is_date:
            return None
        return self.source.value_as_string(value, self.format)

    def single(self, value: float | None) -> dict[str, Any]:
        out: dict[str, Any] = {"value": value}
        text = self.as_string(value)
        if text is not None:
            out["value_as_string"] = text
        return out


class Min(StatsMetric):
    type_name = "min"

    def render(self, partial: Stats) -> dict[str, Any]:
        return self.single(_float(partial.min))

    def native_order(self, metric: str | None) -> str | None:
        return f"{self.name}.min"


class Max(StatsMetric):
    type_name = "max"

    def render(self, partial: Stats) -> dict[str, Any]:
        return self.single(_float(partial.max))

    def native_order(self, metric: str | None) -> str | None:
        return f"{self.name}.max"


class Avg(StatsMetric):
    type_name = "avg"

    def render(self, partial: Stats) -> dict[str, Any]:
        return self.single(partial.avg)

    def native_order(self, metric: str | None) -> str | None:
        return f"{self.name}.avg"


class Sum(StatsMetric):
    type_name = "sum"

    def render(self, partial: Stats) -> dict[str, Any]:
        return self.single(float(partial.sum))

    def native_order(self, metric: str | None) -> str | None:
        return f"{self.name}.sum"


class ValueCount(StatsMetric):
    """value_count also counts keyword and ip values, so it uses tantivy's own count."""

    type_name = "value_count"
    numeric_only = False

    def request(self, ctx: SplitContext) -> dict[str, Any] | None:
        if not self.source.in_split(ctx):
            return None
        return {self.name: {"value_count": {"field": self.source.name}}}

    def read(self, raw: dict[str, Any], ctx: SplitContext) -> Stats:
        got = raw.get(self.name)
        return Stats(count=int(got.get("value") or 0)) if got else Stats()

    def render(self, partial: Stats) -> dict[str, Any]:
        return {"value": partial.count}

    def native_order(self, metric: str | None) -> str | None:
        return self.name


class StatsAgg(StatsMetric):
    type_name = "stats"

    def render(self, partial: Stats) -> dict[str, Any]:
        out: dict[str, Any] = {
            "count": partial.count, "min": _float(partial.min), "max": _float(partial.max),
            "avg": partial.avg, "sum": float(partial.sum),
        }
        for key in ("min", "max", "avg", "sum"):
            text = self.as_string(out[key] if partial.count else None)
            if text is not None:
                out[f"{key}_as_string"] = text
        return out

    def native_order(self, metric: str | None) -> str | None:
        return f"{self.name}.{metric}" if metric in ("count", "min", "max", "avg", "sum") else None


class ExtendedStats(StatsAgg):
    type_name = "extended_stats"
    native_type = "extended_stats"

    def setup(self) -> None:
        super().setup()
        self.sigma = self.float_param("sigma", 2.0)

    def render(self, partial: Stats) -> dict[str, Any]:
        out = super().render(partial)
        out.update(self.describe(partial, self.sigma))
        return out

    @staticmethod
    def describe(partial: Stats, sigma: float) -> dict[str, Any]:
        """ES's extended_stats body (also what extended_stats_bucket prints)."""
        n = partial.count
        out: dict[str, Any] = {"count": n, "min": _float(partial.min), "max": _float(partial.max),
                               "avg": partial.avg, "sum": float(partial.sum)}
        if not n:
            out.update({
                "sum_of_squares": None, "variance": None, "variance_population": None,
                "variance_sampling": None, "std_deviation": None,
                "std_deviation_population": None, "std_deviation_sampling": None,
                "std_deviation_bounds": {key: None for key in _BOUND_KEYS},
            })
            return out
        avg = partial.sum / n
        variance = max(partial.sum_of_squares / n - avg * avg, 0.0)
        sampling = (max(partial.sum_of_squares - avg * partial.sum, 0.0) / (n - 1)
                    if n > 1 else math.inf)
        std, std_s = math.sqrt(variance), math.sqrt(sampling)
        s = sigma
        out.update({
            "sum_of_squares": partial.sum_of_squares, "variance": variance,
            "variance_population": variance, "variance_sampling": sampling,
            "std_deviation": std, "std_deviation_population": std,
            "std_deviation_sampling": std_s,
            "std_deviation_bounds": {
                "upper": avg + s * std, "lower": avg - s * std,
                "upper_population": avg + s * std, "lower_population": avg - s * std,
                "upper_sampling": avg + s * std_s, "lower_sampling": avg - s * std_s,
            },
        })
        return out

    def native_order(self, metric: str | None) -> str | None:
        return None


_BOUND_KEYS = ("upper", "lower", "upper_population", "lower_population", "upper_sampling",
               "lower_sampling")


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)
