"""cardinality, percentiles, percentile_ranks and median_absolute_deviation: mergeable.

A split's distinct values come from a native ``terms`` aggregation (values and counts, no
per-document Python) and go into mergeable summaries: an HLL sketch (Apache DataSketches)
for cardinality, so several indices never add up their distinct counts; a centroid digest
(value, weight) for the quantile family, exact on small data, reproducing ES's t-digest
interpolation (p50 of 1..10 is 5.5). A split with more distinct values than the cap falls
back to tantivy's own quantile sketch, read at a dense grid of percents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import tantivy
from datasketches import hll_sketch, hll_union, tgt_hll_type

from loghaven.errors import IllegalArgument, ParsingError
from loghaven.search.aggregations.execute import per_split
from loghaven.search.aggregations.fields import require_numeric
from loghaven.search.aggregations.tree import MetricAgg, Scope, as_number
from loghaven.search.context import SplitContext

#: Distinct values fetched per split (per bucket) for the cardinality sketch.
DISTINCT_CAP = 100_000
#: Up to this many values in a scope, quantiles are exact (from distinct values).
EXACT_VALUES = 20_000
#: Percents tantivy's sketch is read at beyond that.
GRID = [i / 4 for i in range(1, 400)]
#: Centroids kept after a merge; fewer would blur exact small-data answers.
MAX_CENTROIDS = 4000
DEFAULT_PERCENTS = (1.0, 5.0, 25.0, 50.0, 75.0, 95.0, 99.0)


class DistinctValues(MetricAgg):
    """Base: asks each split for its distinct values with counts."""

    runtime_ok = True

    def setup(self) -> None:
        self.source = self.field()
        self.cap = DISTINCT_CAP

    def prepare(self, scope: Scope) -> None:
        self.single = len(scope) == 1

    def values_request(self) -> dict[str, Any]:
        body: dict[str, Any] = {"field": self.source.name, "size": self.cap,
                                "order": {"_key": "asc"}}
        if "missing" in self.params:
            body["missing"] = self.params["missing"]
        return {f"{self.name}#values": {"terms": body}}

    def read_values(self, raw: dict[str, Any]) -> tuple[list[tuple[Any, int]], bool] | None:
        """([(value, count)], complete) from a split's answer, None if absent."""
        got = raw.get(f"{self.name}#values")
        if got is None:
            return None
        values = [(b["key"], b["doc_count"]) for b in got["buckets"]]
        return values, not got.get("sum_other_doc_count")


# --------------------------------------------------------------------------- cardinality


class Cardinality(DistinctValues):
    type_name = "cardinality"

    def setup(self) -> None:
        super().setup()
        threshold = self.int_param("precision_threshold", 3000)
        if threshold < 0:
            raise ParsingError("[precisionThreshold] must be greater than or equal to 0")
        self.lg_k = 16 if threshold > 10_000 else 14
        self.single = False

    def request(self, ctx: SplitContext) -> dict[str, Any] | None:
        if not self.source.in_split(ctx):
            return None
        if self.single:
            return {self.name: {"cardinality": {"field": self.source.name}}}
        return self.values_request()

    def read(self, raw: dict[str, Any], ctx: SplitContext) -> Any:
        if self.name in raw:
            return float(raw[self.name].get("value") or 0.0)
        got = self.read_values(raw)
        if got is None:
            return self.empty()
        sketch = hll_sketch(self.lg_k, tgt_hll_type.HLL_8)
        for value, _ in got[0]:
            sketch.update(str(self.source.key(value)))
        return sketch

    def empty(self) -> Any:
        return hll_sketch(self.lg_k, tgt_hll_type.HLL_8)

    def merge(self, a: Any, b: Any) -> Any:
        if isinstance(a, float) or isinstance(b, float):  # one split held everything
            return a if isinstance(a, float) else b
        union = hll_union(self.lg_k)
        union.update(a)
        union.update(b)
        return union.get_result(tgt_hll_type.HLL_8)

    def render(self, partial: Any) -> dict[str, Any]:
        value = partial if isinstance(partial, float) else partial.get_estimate()
        return {"value": round(value)}


# --------------------------------------------------------------------------- quantiles


@dataclass
class Digest:
    """Sorted centroids ``(value, weight)``. ``exact`` ones hold every distinct value with
    its count (a value repeated is a run of identical singletons, as in a t-digest over
    few values); others summarise a sketch and interpolate between centroid centres."""

    centroids: list[tuple[float, float]] = field(default_factory=list)
    exact: bool = True

    @property
    def count(self) -> float:
        return sum(w for _, w in self.centroids)

    def merged(self, other: Digest) -> Digest:
        combined: dict[float, float] = {}
        for value, weight in [*self.centroids, *other.centroids]:
            combined[value] = combined.get(value, 0.0) + weight
        centroids = sorted(combined.items())
        exact = self.exact and other.exact
        if len(centroids) > MAX_CENTROIDS:
            centroids, exact = _compress(centroids, MAX_CENTROIDS), False
        return Digest(centroids, exact)

    def _units(self) -> list[tuple[float, float]]:
        """The centroids as t-digest holds them: an exact digest's repeated value is that
        many singletons (over few values ES's t-digest merges nothing)."""
        if not self.exact:
            return self.centroids
        return [(value, 1.0) for value, weight in self.centroids for _ in range(int(weight))]

    def quantile(self, q: float) -> float | None:
        """The value at fraction ``q``: t-digest's interpolation between centroid centres
        (so p50 of 1..10 is 5.5), towards min and max at the ends."""
        units = self._units()
        if not units:
            return None
        if len(units) == 1:
            return units[0][0]
        index = q * self.count
        low, high = units[0][0], units[-1][0]
        mean, weight = units[0]
        so_far = weight / 2
        if index < so_far:
            return (low * index + mean * (so_far - index)) / so_far
        for next_mean, next_weight in units[1:]:
            step = (weight + next_weight) / 2
            if so_far + step > index:
                return _weighted(mean, so_far + step - index, next_mean, index - so_far)
            so_far += step
            mean, weight = next_mean, next_weight
        beyond = index - so_far
        return _weighted(mean, weight / 2 - beyond, high, beyond)

    def rank(self, x: float) -> float | None:
        """The percentage of values at or below ``x`` (percentile_ranks), t-digest's way:
        each centroid spreads over half the gap to its neighbours."""
        units = self._units()
        if not units:
            return None
        if len(units) == 1:
            return 0.0 if x < units[0][0] else 100.0
        n = self.count
        below = 0.0
        a, b = units[0], units[1]
        left = right = (b[0] - a[0]) / 2
        for following in units[2:]:
            if x < a[0] + right:
                return max(below + a[1] * _interpolate(x, a[0] - left, a[0] + right), 0.0) \
                    / n * 100
            below += a[1]
            a, b = b, following
            left, right = right, (b[0] - a[0]) / 2
        if x < a[0] + right:
            return max(below + a[1] * _interpolate(x, a[0] - left, a[0] + right), 0.0) / n * 100
        return 100.0


def _weighted(x1: float, w1: float, x2: float, w2: float) -> float:
    """t-digest's weighted average of two neighbours, kept between them."""
    total = w1 + w2
    value = (x1 * w1 + x2 * w2) / total if total else x1
    return max(min(x1, x2), min(max(x1, x2), value))


def _interpolate(x: float, x0: float, x1: float) -> float:
    return (x - x0) / (x1 - x0) if x1 != x0 else 0.0


def _compress(centroids: list[tuple[float, float]], limit: int) -> list[tuple[float, float]]:
    """Merge neighbours into weighted means until ``limit`` centroids remain."""
    total = sum(w for _, w in centroids)
    target = total / limit
    out: list[tuple[float, float]] = []
    acc_v = acc_w = 0.0
    for value, weight in centroids:
        if acc_w and acc_w + weight > target:
            out.append((acc_v / acc_w, acc_w))
            acc_v = acc_w = 0.0
        acc_v += value * weight
        acc_w += weight
    if acc_w:
        out.append((acc_v / acc_w, acc_w))
    return out


def sketch_digest(count: float, low: float, high: float,
                  values: dict[str, float | None]) -> Digest:
    """A summary digest from tantivy's sketch read at percents: each point weighs the rank
    span around it, the minimum and maximum close the ends."""
    points = sorted((float(p), min(max(float(v), low), high))
                    for p, v in values.items() if v is not None)
    points = [(0.0, low), *points, (100.0, high)]
    centroids: dict[float, float] = {}
    for i, (percent, value) in enumerate(points):
        before = points[i - 1][0] if i else percent
        after = points[i + 1][0] if i + 1 < len(points) else percent
        weight = count * (after - before) / 200
        if weight > 0:
            centroids[value] = centroids.get(value, 0.0) + weight
    return Digest(sorted(centroids.items()), exact=False)


class QuantileMetric(DistinctValues):
    """Exact digests from distinct values when the scope holds few values (ES's t-digest is
    exact there too); tantivy's own sketch read at a dense grid of percents otherwise."""

    def setup(self) -> None:
        super().setup()
        require_numeric(self.source, self.type_name)
        self.exact = True
        self.grid = GRID

    def prepare(self, scope: Scope) -> None:
        super().prepare(scope)
        def values(ctx: SplitContext, query: tantivy.Query) -> int:
            if not self.source.in_split(ctx):
                return 0
            got = ctx.searcher.aggregate(query, {"n": {"value_count": {
                "field": self.source.name}}})
            return int(got["n"]["value"] or 0)

        # a runtime field's values are all in memory already: exact at any count
        self.exact = self.computed or sum(per_split(scope, values)) <= EXACT_VALUES

    def request(self, ctx: SplitContext) -> dict[str, Any] | None:
        if not self.source.in_split(ctx):
            return None
        if self.exact:
            return self.values_request()
        field_name = self.source.name
        return {f"{self.name}#sketch": {"percentiles": {"field": field_name,
                                                        "percents": self.grid}},
                f"{self.name}#stats": {"stats": {"field": field_name}}}

    def read(self, raw: dict[str, Any], ctx: SplitContext) -> Digest:
        got = self.read_values(raw)
        if got is not None:
            return Digest(sorted((float(v), float(c)) for v, c in got[0]), exact=got[1])
        stats = raw.get(f"{self.name}#stats")
        if not stats or not stats.get("count"):
            return Digest()
        return sketch_digest(float(stats["count"]), float(stats["min"]), float(stats["max"]),
                             raw[f"{self.name}#sketch"]["values"])

    def empty(self) -> Digest:
        return Digest()

    def merge(self, a: Digest, b: Digest) -> Digest:
        return a.merged(b)

    def keyed(self, pairs: list[tuple[float, float | None]]) -> dict[str, Any]:
        """ES's ``values``: an object by default, a list with ``keyed: false``; dates also
        get ``*_as_string`` forms."""
        dates = self.source.is_date and self.type_name == "percentiles"
        if self.param("keyed", True):
            values: dict[str, Any] = {}
            for k, v in pairs:
                values[str(float(k))] = v
                if dates and v is not None:
                    values[f"{float(k)}_as_string"] = self.source.value_as_string(int(v))
            return {"values": values}
        items = []
        for k, v in pairs:
            item: dict[str, Any] = {"key": float(k), "value": v}
            if dates and v is not None:
                item["value_as_string"] = self.source.value_as_string(int(v))
            items.append(item)
        return {"values": items}


class Percentiles(QuantileMetric):
    type_name = "percentiles"

    def setup(self) -> None:
        super().setup()
        percents = self.param("percents", DEFAULT_PERCENTS)
        if not isinstance(percents, list | tuple) or not percents:
            raise ParsingError(f"[percents] must not be empty in [{self.name}]")
        self.percents = [as_number(p, "percents", self.name) for p in percents]
        for p in self.percents:
            if not 0 <= p <= 100:
                raise IllegalArgument(f"percent must be in [0,100], got [{p}]: percent")
        self.grid = sorted({*GRID, *(p for p in self.percents if 0 < p < 100)})

    def render(self, partial: Digest) -> dict[str, Any]:
        return self.keyed([(p, partial.quantile(p / 100)) for p in self.percents])


class PercentileRanks(QuantileMetric):
    type_name = "percentile_ranks"

    def setup(self) -> None:
        super().setup()
        values = self.param("values")
        if not isinstance(values, list) or not values:
            raise IllegalArgument(f"[values] must not be null: [{self.name}]")
        self.values = [as_number(v, "values", self.name) for v in values]

    def render(self, partial: Digest) -> dict[str, Any]:
        return self.keyed([(v, partial.rank(v)) for v in self.values])


class MedianAbsoluteDeviation(QuantileMetric):
    type_name = "median_absolute_deviation"

    def render(self, partial: Digest) -> dict[str, Any]:
        median = partial.quantile(0.5)
        if median is None:
            return {"value": None}
        deviations = Digest([], partial.exact).merged(
            Digest(sorted((abs(v - median), w) for v, w in partial.centroids), partial.exact))
        return {"value": deviations.quantile(0.5)}

