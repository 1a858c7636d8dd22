"""weighted_avg: Σ value·weight / Σ weight, from the (value, weight) pairs tantivy counts.

When the value or the weight is a runtime field the same pairs request is answered from
the documents' values (search/aggregations/computed.py)."""

from __future__ import annotations

from typing import Any

from loghaven.errors import ParsingError
from loghaven.search.aggregations.fields import resolve
from loghaven.search.aggregations.tree import MetricAgg
from loghaven.search.context import SplitContext

#: (value, weight) pairs fetched per split; beyond it the average is over what came back.
PAIR_CAP = 65_000


class WeightedAvg(MetricAgg):
    """Σ value·weight / Σ weight, from the (value, weight) pairs and their counts."""

    type_name = "weighted_avg"
    runtime_ok = True

    def setup(self) -> None:
        names = []
        for part in ("value", "weight"):
            spec = self.param(part)
            if not isinstance(spec, dict) or "field" not in spec:
                raise ParsingError(f"[{part}] must specify a [field] in [{self.name}]")
            names.append(spec["field"])
        self.value_field, self.weight_field = (resolve(self.env.contexts, n) for n in names)
        self.read_runtime(self.value_field, self.weight_field)

    def request(self, ctx: SplitContext) -> dict[str, Any] | None:
        if not (self.value_field.in_split(ctx) and self.weight_field.in_split(ctx)):
            return None
        return {self.name: {"multi_terms": {
            "terms": [{"field": self.value_field.name}, {"field": self.weight_field.name}],
            "size": PAIR_CAP}}}

    def read(self, raw: dict[str, Any], ctx: SplitContext) -> tuple[float, float]:
        got = raw.get(self.name)
        if got is None:
            return (0.0, 0.0)
        total = weights = 0.0
        for bucket in got["buckets"]:
            value, weight = (float(k) for k in bucket["key"])
            total += value * weight * bucket["doc_count"]
            weights += weight * bucket["doc_count"]
        return (total, weights)

    def empty(self) -> tuple[float, float]:
        return (0.0, 0.0)

    def merge(self, a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
        return (a[0] + b[0], a[1] + b[1])

    def render(self, partial: tuple[float, float]) -> dict[str, Any]:
        return {"value": partial[0] / partial[1] if partial[1] else None}
