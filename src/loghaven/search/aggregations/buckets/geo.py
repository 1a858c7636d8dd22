"""geohash_grid and geotile_grid over a geo_point's ``.lat``/``.lon`` fast fields.

A cell is a longitude band by a latitude band: longitude bands are a native ``histogram``
(both grids are uniform in longitude); latitude bands are a nested ``histogram`` for
geohash (uniform) and a ``range`` over the Web-Mercator row edges for geotiles, cut to the
rows the data spans. Cells are keyed as ES keys them (``u09t``, ``7/64/42``) and sorted by
count.
"""

from __future__ import annotations

import math
from typing import Any

import tantivy

from loghaven.errors import IllegalArgument
from loghaven.search.aggregations.buckets.histogram import data_bounds
from loghaven.search.aggregations.execute import finish_buckets
from loghaven.search.aggregations.fields import require_geo_point
from loghaven.search.aggregations.order import OrderKey, sort_buckets
from loghaven.search.aggregations.pipeline import apply_parent
from loghaven.search.aggregations.render import render_subs
from loghaven.search.aggregations.tree import Bucket, BucketAgg, Scope
from loghaven.search.context import SplitContext

BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"
MAX_MERCATOR_LAT = 85.05112878
COUNT_ORDER = [OrderKey("_count", False)]


class Grid(BucketAgg):
    max_precision = 12
    default_precision = 5

    def setup(self) -> None:
        self.source = self.field()
        require_geo_point(self.source, self.type_name)
        precision = self.param("precision", self.default_precision)
        if not isinstance(precision, int) or not 0 <= precision <= self.max_precision:
            raise IllegalArgument(f"Invalid {self.type_name} precision of {precision}. Must be "
                                  f"between 0 and {self.max_precision}.")
        self.precision = precision
        self.size = self.int_param("size", 10000)
        self.lat_field = f"{self.source.name}.lat"
        self.lon_field = f"{self.source.name}.lon"

    # lon columns are uniform for both grids
    def lon_width(self) -> float:
        raise NotImplementedError

    def lat_request(self, ctx: SplitContext) -> dict[str, Any] | None:
        raise NotImplementedError

    def lat_row(self, raw_bucket: dict[str, Any]) -> int | None:
        raise NotImplementedError

    def cell_key(self, column: int, row: int) -> str:
        raise NotImplementedError

    def cell_bounds(self, column: int, row: int) -> tuple[float, float, float, float]:
        """(lon_low, lon_high, lat_low, lat_high) of a cell."""
        raise NotImplementedError

    def request(self, ctx: SplitContext) -> dict[str, Any] | None:
        if not self.source.in_split(ctx):
            return None
        inner = self.lat_request(ctx)
        if inner is None:
            return None
        return {self.name: {"histogram": {"field": self.lon_field, "interval": self.lon_width(),
                                          "offset": -180.0, "min_doc_count": 1},
                            "aggs": {"lat": inner}}}

    def read(self, raw: dict[str, Any], ctx: SplitContext) -> dict[Any, Bucket]:
        got = raw.get(self.name)
        if got is None:
            return {}
        cells: dict[Any, Bucket] = {}
        columns = 2 ** self.lon_bits() - 1
        for column_bucket in got["buckets"]:
            column = min(round((column_bucket["key"] + 180.0) / self.lon_width()), columns)
            for row_bucket in column_bucket["lat"]["buckets"]:
                row = self.lat_row(row_bucket)
                if row is None or not row_bucket["doc_count"]:
                    continue
                cell = Bucket(row_bucket["doc_count"], self.read_subs(row_bucket, ctx))
                key = (column, row)
                cells[key] = cell if key not in cells else self.merge_bucket(cells[key], cell)
        return cells

    def lon_bits(self) -> int:
        raise NotImplementedError

    def empty(self) -> dict[Any, Bucket]:
        return {}

    def merge(self, a: dict[Any, Bucket], b: dict[Any, Bucket]) -> dict[Any, Bucket]:
        return self.merge_buckets(a, b)

    def finish(self, partial: dict[Any, Bucket], scope: Scope) -> dict[Any, Bucket]:
        named = [(self.cell_key(*key), bucket) for key, bucket in partial.items()]
        self.cells = {self.cell_key(*key): key for key in partial}
        kept = dict(sort_buckets(self, named, COUNT_ORDER)[: self.size])
        finish_buckets(self, kept, scope)
        return kept

    def bucket_query(self, key: Any, ctx: SplitContext) -> tantivy.Query | None:
        if not self.source.in_split(ctx):
            return None
        lon_low, lon_high, lat_low, lat_high = self.cell_bounds(*self.cells[key])
        return tantivy.Query.boolean_query([
            (tantivy.Occur.Must, tantivy.Query.range_query(
                ctx.schema, self.lon_field, tantivy.FieldType.Float, lon_low, lon_high,
                include_upper=False)),
            (tantivy.Occur.Must, tantivy.Query.range_query(
                ctx.schema, self.lat_field, tantivy.FieldType.Float, lat_low, lat_high,
                include_upper=False))])

    def render(self, partial: dict[Any, Bucket]) -> dict[str, Any]:
        return {"buckets": apply_parent(self, [
            {"key": key, "doc_count": bucket.doc_count, **render_subs(self, bucket)}
            for key, bucket in partial.items()])}


class GeohashGrid(Grid):
    type_name = "geohash_grid"

    def lon_bits(self) -> int:
        return (5 * self.precision + 1) // 2

    def lat_bits(self) -> int:
        return 5 * self.precision // 2

    def lon_width(self) -> float:
        return 360.0 / 2 ** self.lon_bits()

    def lat_height(self) -> float:
        return 180.0 / 2 ** self.lat_bits()

    def lat_request(self, ctx: SplitContext) -> dict[str, Any] | None:
        body: dict[str, Any] = {"histogram": {"field": self.lat_field,
                                              "interval": self.lat_height(), "offset": -90.0,
                                              "min_doc_count": 1}}
        return self.with_subs(body, ctx)

    def lat_row(self, raw_bucket: dict[str, Any]) -> int | None:
        return min(round((raw_bucket["key"] + 90.0) / self.lat_height()),
                   2 ** self.lat_bits() - 1)

    def cell_key(self, column: int, row: int) -> str:
        lon_bits, lat_bits = self.lon_bits(), self.lat_bits()
        bits = []
        for i in range(5 * self.precision):
            if i % 2 == 0:
                lon_bits -= 1
                bits.append((column >> lon_bits) & 1)
            else:
                lat_bits -= 1
                bits.append((row >> lat_bits) & 1)
        return "".join(BASE32[int("".join(map(str, bits[i:i + 5])), 2)]
                       for i in range(0, len(bits), 5))

    def cell_bounds(self, column: int, row: int) -> tuple[float, float, float, float]:
        w, h = self.lon_width(), self.lat_height()
        return (-180 + column * w, -180 + (column + 1) * w, -90 + row * h, -90 + (row + 1) * h)


def _tile_lat(row: int, zoom: int) -> float:
    """Latitude of the top edge of a tile row."""
    return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / 2 ** zoom))))


def _tile_row(lat: float, zoom: int) -> int:
    lat = max(-MAX_MERCATOR_LAT, min(MAX_MERCATOR_LAT, lat))
    rad = math.radians(lat)
    y = (1 - math.log(math.tan(rad) + 1 / math.cos(rad)) / math.pi) / 2
    return max(0, min(2 ** zoom - 1, math.floor(y * 2 ** zoom)))


class GeotileGrid(Grid):
    type_name = "geotile_grid"
    max_precision = 29
    default_precision = 7

    def setup(self) -> None:
        super().setup()
        self.rows: list[int] = []

    def lon_bits(self) -> int:
        return self.precision

    def lon_width(self) -> float:
        return 360.0 / 2 ** self.precision

    def prepare(self, scope: Scope) -> None:
        bounds = data_bounds(scope, self.lat_field)
        self.rows = []
        if bounds is not None:
            top, bottom = _tile_row(float(bounds[1]), self.precision), \
                _tile_row(float(bounds[0]), self.precision)
            self.rows = list(range(top, bottom + 1))

    def lat_request(self, ctx: SplitContext) -> dict[str, Any] | None:
        if not self.rows:
            return None
        ranges = []
        for i, row in enumerate(reversed(self.rows)):
            item: dict[str, Any] = {"key": f"#{row}"}
            if i > 0:
                item["from"] = _tile_lat(row + 1, self.precision)
            if i < len(self.rows) - 1:
                item["to"] = _tile_lat(row, self.precision)
            ranges.append(item)
        return self.with_subs({"range": {"field": self.lat_field, "ranges": ranges}}, ctx)

    def lat_row(self, raw_bucket: dict[str, Any]) -> int | None:
        key = raw_bucket.get("key", "")
        return int(key[1:]) if key.startswith("#") else None

    def cell_key(self, column: int, row: int) -> str:
        return f"{self.precision}/{column}/{row}"

    def cell_bounds(self, column: int, row: int) -> tuple[float, float, float, float]:
        w = self.lon_width()
        low = -90.0 if row == self.rows[-1] else _tile_lat(row + 1, self.precision)
        high = 90.000001 if row == self.rows[0] else _tile_lat(row, self.precision)
        return (-180 + column * w, -180 + (column + 1) * w, low, high)
