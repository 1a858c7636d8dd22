"""geo_bounds and geo_centroid: exact, from native stats over a geo_point's lat and lon."""

from __future__ import annotations

from typing import Any

from loghaven.search.aggregations.fields import require_geo_point
from loghaven.search.aggregations.metrics.stats import Stats
from loghaven.search.aggregations.tree import MetricAgg
from loghaven.search.context import SplitContext


class GeoMetric(MetricAgg):
    """Base: native stats over a geo_point's ``.lat`` and ``.lon`` fields."""

    def setup(self) -> None:
        self.source = self.field()
        require_geo_point(self.source, self.type_name)

    def request(self, ctx: SplitContext) -> dict[str, Any] | None:
        if not self.source.in_split(ctx):
            return None
        return {f"{self.name}#{axis}": {"stats": {"field": f"{self.source.name}.{axis}"}}
                for axis in ("lat", "lon")}

    def read(self, raw: dict[str, Any], ctx: SplitContext) -> tuple[Stats, ...]:
        return tuple(_stats(raw.get(f"{self.name}#{axis}")) for axis in ("lat", "lon"))

    def empty(self) -> tuple[Stats, ...]:
        return Stats(), Stats()

    def merge(self, a: tuple[Stats, ...], b: tuple[Stats, ...]) -> tuple[Stats, ...]:
        return tuple(x + y for x, y in zip(a, b, strict=True))


def _stats(got: dict[str, Any] | None) -> Stats:
    if not got or not got.get("count"):
        return Stats()
    return Stats(int(got["count"]), float(got["sum"]), got["min"], got["max"])


class GeoBounds(GeoMetric):
    """Longitudes west and east of Greenwich are bounded apart, so that with
    ``wrap_longitude`` (the default) points on both sides of the date line get the narrower
    box across it, as ES picks."""

    type_name = "geo_bounds"

    def request(self, ctx: SplitContext) -> dict[str, Any] | None:
        if not self.source.in_split(ctx):
            return None
        lon = f"{self.source.name}.lon"
        return {f"{self.name}#lat": {"stats": {"field": f"{self.source.name}.lat"}},
                f"{self.name}#lon": {"range": {"field": lon, "ranges": [
                    {"key": "west", "to": 0.0}, {"key": "east", "from": 0.0}]},
                    "aggs": {"s": {"stats": {"field": lon}}}}}

    def read(self, raw: dict[str, Any], ctx: SplitContext) -> tuple[Stats, ...]:
        sides = {b["key"]: _stats(b.get("s"))
                 for b in (raw.get(f"{self.name}#lon") or {}).get("buckets", [])}
        return (_stats(raw.get(f"{self.name}#lat")), sides.get("west", Stats()),
                sides.get("east", Stats()))

    def empty(self) -> tuple[Stats, ...]:
        return Stats(), Stats(), Stats()

    def render(self, partial: tuple[Stats, ...]) -> dict[str, Any]:
        lat, west, east = partial
        if not lat.count:
            return {}
        if not east.count:
            left, right = west.min, west.max
        elif not west.count:
            left, right = east.min, east.max
        else:
            unwrapped = east.max - west.min  # type: ignore[operator]
            wrapped = (180 - east.min) - (-180 - west.max)  # type: ignore[operator]
            wrap = bool(self.param("wrap_longitude", True)) and wrapped < unwrapped
            left, right = (east.min, west.max) if wrap else (west.min, east.max)
        return {"bounds": {"top_left": {"lat": lat.max, "lon": left},
                           "bottom_right": {"lat": lat.min, "lon": right}}}


class GeoCentroid(GeoMetric):
    type_name = "geo_centroid"

    def render(self, partial: tuple[Stats, Stats]) -> dict[str, Any]:
        lat, lon = partial
        if not lat.count:
            return {"count": 0}
        return {"location": {"lat": lat.avg, "lon": lon.avg}, "count": lat.count}
