"""The aggregation framework's contract (``run_aggregations`` over split contexts), on two
small indices with three splits; expected values are what OpenSearch returns for the same
documents, worked out by hand."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from loghaven.engine.catalog import Catalog
from loghaven.engine.documents_state import WriteRequest
from loghaven.engine.index import Index
from loghaven.errors import LoghavenError
from loghaven.search.aggregations import count_buckets, run_aggregations
from loghaven.search.context import SplitContext
from loghaven.search.query import compile_query
from loghaven.storage.metastore import SqliteMetastore

NOW = 1_704_500_000_000  # 2024-01-06
MAPPING = {"properties": {
    "ip": {"type": "ip"}, "action": {"type": "keyword"}, "status": {"type": "long"},
    "bytes": {"type": "double"}, "ts": {"type": "date"}, "msg": {"type": "text"},
    "loc": {"type": "geo_point"},
}}
DAY1, DAY2, DAY3 = 1_704_067_200_000, 1_704_153_600_000, 1_704_240_000_000


def doc(ip: str, action: str, status: int, size: float, ts: str, **extra: Any) -> dict[str, Any]:
    return {"ip": ip, "action": action, "status": status, "bytes": size, "ts": ts,
            "msg": f"{action} from {ip}", **extra}


LOGS_1 = [
    [doc("10.0.0.1", "ALLOW", 200, 100.0, "2024-01-01T00:10:00Z", loc={"lat": 10.0, "lon": 20.0}),
     doc("10.0.0.1", "BLOCK", 403, 50.0, "2024-01-01T00:20:00Z"),
     doc("10.0.0.2", "ALLOW", 200, 300.0, "2024-01-01T01:05:00Z"),
     doc("10.0.0.3", "ALLOW", 500, 10.0, "2024-01-01T03:00:00Z")],
    # a new field seals the first split: this document lands in a second one
    [doc("10.0.0.1", "ALLOW", 200, 20.0, "2024-01-02T00:00:00Z", user="bob")],
]
LOGS_2 = [
    [doc("10.0.0.2", "BLOCK", 403, 70.0, "2024-01-02T05:00:00Z"),
     doc("10.0.0.4", "ALLOW", 200, 40.0, "2024-01-03T00:00:00Z", loc={"lat": 20.0, "lon": 40.0})],
]


def build(catalog: Catalog, name: str, batches: list[list[dict[str, Any]]]) -> Index:
    index = catalog.create_index(name, {"mappings": MAPPING})
    for batch in batches:
        index.write([WriteRequest("index", source=orjson.dumps(d), parsed=d) for d in batch])
        index.refresh()
    return index


@pytest.fixture(scope="module")
def indices(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Index]]:
    folder: Path = tmp_path_factory.mktemp("aggs")
    catalog = Catalog(folder, SqliteMetastore(folder / "meta.db"))
    made = [build(catalog, "logs-1", LOGS_1), build(catalog, "logs-2", LOGS_2)]
    assert [len(i.searchable_splits()) for i in made] == [2, 1]
    yield made
    catalog.close()


def aggs(indices: list[Index], body: dict[str, Any], query: dict[str, Any] | None = None,
         ) -> dict[str, Any]:
    contexts = []
    for index in indices:
        for split in index.searchable_splits():
            compiled = compile_query(query, split, index.mapping, now_ms=NOW)
            contexts.append(SplitContext(index, split, split.searcher(), compiled))
    return run_aggregations(body, contexts, now_ms=NOW)


def keys(agg: dict[str, Any]) -> list[tuple[Any, int]]:
    return [(b["key"], b["doc_count"]) for b in agg["buckets"]]


# --------------------------------------------------------------------------- terms


def test_terms_across_indices_and_splits(indices: list[Index]) -> None:
    out = aggs(indices, {"ips": {"terms": {"field": "ip", "size": 2}},
                         "actions": {"terms": {"field": "action"}}})
    assert out["ips"] == {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 2,
                          "buckets": [{"key": "10.0.0.1", "doc_count": 3},
                                      {"key": "10.0.0.2", "doc_count": 2}]}
    assert keys(out["actions"]) == [("ALLOW", 5), ("BLOCK", 2)]


def test_terms_error_bound_is_summed_when_splits_truncate(indices: list[Index]) -> None:
    out = aggs(indices, {"ips": {"terms": {"field": "ip", "size": 1, "shard_size": 1}}})
    ips = out["ips"]
    # every split returned one term; the bound is the sum of their last counts (2 + 1 + 1)
    assert ips["doc_count_error_upper_bound"] == 4
    assert ips["buckets"][0]["key"] == "10.0.0.1"
    assert ips["sum_other_doc_count"] == 7 - ips["buckets"][0]["doc_count"]


def test_terms_order_by_sub_aggregation_and_key(indices: list[Index]) -> None:
    out = aggs(indices, {
        "by_avg": {"terms": {"field": "ip", "order": {"avg_bytes": "desc"}},
                   "aggs": {"avg_bytes": {"avg": {"field": "bytes"}}}},
        "by_key": {"terms": {"field": "status", "order": {"_key": "desc"}}},
    })
    assert [b["key"] for b in out["by_avg"]["buckets"]] == [
        "10.0.0.2", "10.0.0.1", "10.0.0.4", "10.0.0.3"]
    assert out["by_avg"]["buckets"][0]["avg_bytes"] == {"value": 185.0}
    assert keys(out["by_key"]) == [(500, 1), (403, 2), (200, 4)]


def test_terms_include_exclude_missing_min_doc_count(indices: list[Index]) -> None:
    out = aggs(indices, {
        "inc": {"terms": {"field": "ip", "include": "10\\.0\\.0\\.[12]"}},
        "exc": {"terms": {"field": "action", "exclude": ["ALLOW"]}},
        "users": {"terms": {"field": "user.keyword", "missing": "nobody"}},
        "common": {"terms": {"field": "ip", "min_doc_count": 2}},
    })
    assert keys(out["inc"]) == [("10.0.0.1", 3), ("10.0.0.2", 2)]
    assert keys(out["exc"]) == [("BLOCK", 2)]
    assert keys(out["users"]) == [("nobody", 6), ("bob", 1)]
    assert keys(out["common"]) == [("10.0.0.1", 3), ("10.0.0.2", 2)]


def test_terms_on_text_field_is_refused_like_es(indices: list[Index]) -> None:
    with pytest.raises(LoghavenError) as caught:
        aggs(indices, {"t": {"terms": {"field": "msg"}}})
    assert caught.value.status == 400
    assert caught.value.type == "illegal_argument_exception"
    assert "Text fields are not optimised" in caught.value.reason
    assert "Please use a keyword field instead" in caught.value.reason


def test_unknown_type_is_a_parsing_exception(indices: list[Index]) -> None:
    with pytest.raises(LoghavenError) as caught:
        aggs(indices, {"t": {"termz": {"field": "ip"}}})
    assert (caught.value.status, caught.value.type) == (400, "parsing_exception")
    assert caught.value.reason == "Unknown aggregation type [termz]"


def test_multi_terms(indices: list[Index]) -> None:
    out = aggs(indices, {"m": {"multi_terms": {"terms": [{"field": "action"},
                                                         {"field": "status"}]}}})
    assert out["m"]["buckets"][0] == {"key": ["ALLOW", 200], "key_as_string": "ALLOW|200",
                                      "doc_count": 4}
    assert [b["key_as_string"] for b in out["m"]["buckets"]] == [
        "ALLOW|200", "BLOCK|403", "ALLOW|500"]


# --------------------------------------------------------------------------- metrics


def test_single_value_metrics_and_stats(indices: list[Index]) -> None:
    out = aggs(indices, {
        "min": {"min": {"field": "status"}}, "max": {"max": {"field": "bytes"}},
        "sum": {"sum": {"field": "bytes"}}, "avg": {"avg": {"field": "status"}},
        "count": {"value_count": {"field": "ip"}}, "stats": {"stats": {"field": "status"}},
        "first": {"min": {"field": "ts"}}, "none": {"avg": {"field": "user_age"}},
    })
    assert out["min"] == {"value": 200.0}
    assert out["max"] == {"value": 300.0}
    assert out["sum"] == {"value": 590.0}
    assert out["avg"]["value"] == pytest.approx(2106 / 7)
    assert out["count"] == {"value": 7}
    assert out["stats"] == {"count": 7, "min": 200.0, "max": 500.0,
                            "avg": pytest.approx(2106 / 7), "sum": 2106.0}
    assert out["first"] == {"value": 1704067800000.0,
                            "value_as_string": "2024-01-01T00:10:00.000Z"}
    assert out["none"] == {"value": None}


def test_extended_stats(indices: list[Index]) -> None:
    out = aggs(indices, {"e": {"extended_stats": {"field": "status"}}})["e"]
    values = [200, 403, 200, 500, 200, 403, 200]
    mean = sum(values) / 7
    variance = sum((v - mean) ** 2 for v in values) / 7
    assert out["count"] == 7 and out["sum_of_squares"] == sum(v * v for v in values)
    assert out["variance"] == pytest.approx(variance)
    assert out["std_deviation_bounds"]["upper"] == pytest.approx(mean + 2 * variance ** 0.5)


def test_cardinality_is_not_a_sum_of_split_counts(indices: list[Index]) -> None:
    # per split distinct IPs are 3, 1 and 2; the union is 4
    out = aggs(indices, {"c": {"cardinality": {"field": "ip"}},
                         "per_action": {"terms": {"field": "action"},
                                        "aggs": {"c": {"cardinality": {"field": "ip"}}}}})
    assert out["c"] == {"value": 4}
    assert [b["c"]["value"] for b in out["per_action"]["buckets"]] == [4, 2]


def test_percentiles_interpolate_like_es(indices: list[Index]) -> None:
    out = aggs(indices, {
        "p": {"percentiles": {"field": "bytes", "percents": [25, 50, 99]}},
        "flat": {"percentiles": {"field": "status", "percents": [50], "keyed": False}},
        "ranks": {"percentile_ranks": {"field": "bytes", "values": [50]}},
        "mad": {"median_absolute_deviation": {"field": "bytes"}},
    })
    # bytes sorted: 10 20 40 50 70 100 300
    assert out["p"] == {"values": {"25.0": 25.0, "50.0": 50.0, "99.0": 300.0}}
    assert out["flat"] == {"values": [{"key": 50.0, "value": 200.0}]}
    # t-digest spreads 50 over half the gaps to 40 and 70: (3 + 5/15) of 7 values
    assert out["ranks"]["values"]["50.0"] == pytest.approx(100 * (3 + 1 / 3) / 7)
    # deviations from 50: 40 30 10 0 20 50 250 → median 30
    assert out["mad"] == {"value": 30.0}


def test_weighted_avg_geo_and_top_metrics(indices: list[Index]) -> None:
    out = aggs(indices, {
        "w": {"weighted_avg": {"value": {"field": "status"}, "weight": {"field": "bytes"}}},
        "centroid": {"geo_centroid": {"field": "loc"}},
        "bounds": {"geo_bounds": {"field": "loc"}},
        "top": {"top_metrics": {"metrics": {"field": "status"}, "sort": {"bytes": "desc"}}},
    })
    weighted = (200 * 100 + 403 * 50 + 200 * 300 + 500 * 10 + 200 * 20 + 403 * 70 + 200 * 40)
    assert out["w"]["value"] == pytest.approx(weighted / 590)
    assert out["centroid"] == {"location": {"lat": 15.0, "lon": 30.0}, "count": 2}
    assert out["bounds"] == {"bounds": {"top_left": {"lat": 20.0, "lon": 20.0},
                                        "bottom_right": {"lat": 10.0, "lon": 40.0}}}
    assert out["top"] == {"top": [{"sort": [300.0], "metrics": {"status": 200}}]}


def test_top_hits_per_bucket_across_indices(indices: list[Index]) -> None:
    out = aggs(indices, {"a": {"terms": {"field": "action"}, "aggs": {"top": {"top_hits": {
        "size": 1, "sort": [{"bytes": {"order": "desc"}}], "_source": ["ip", "bytes"]}}}}})
    allow, block = out["a"]["buckets"]
    hit = block["top"]["hits"]["hits"][0]
    assert block["top"]["hits"]["total"] == {"value": 2, "relation": "eq"}
    assert (hit["_index"], hit["_source"], hit["sort"]) == (
        "logs-2", {"ip": "10.0.0.2", "bytes": 70.0}, [70.0])
    assert allow["top"]["hits"]["hits"][0]["_source"] == {"ip": "10.0.0.2", "bytes": 300.0}


# --------------------------------------------------------------------------- histograms


def test_date_histogram_calendar_day_fills_like_es(indices: list[Index]) -> None:
    out = aggs(indices, {"d": {"date_histogram": {"field": "ts", "calendar_interval": "day"}}})
    assert out["d"]["buckets"] == [
        {"key_as_string": "2024-01-01T00:00:00.000Z", "key": DAY1, "doc_count": 4},
        {"key_as_string": "2024-01-02T00:00:00.000Z", "key": DAY2, "doc_count": 2},
        {"key_as_string": "2024-01-03T00:00:00.000Z", "key": DAY3, "doc_count": 1},
    ]


@pytest.mark.parametrize("zone", ["-05:00", "America/New_York"])
def test_date_histogram_time_zone(indices: list[Index], zone: str) -> None:
    out = aggs(indices, {"d": {"date_histogram": {
        "field": "ts", "calendar_interval": "1d", "time_zone": zone}}})
    start = DAY1 - 19 * 3_600_000
    assert [(b["key_as_string"], b["key"], b["doc_count"]) for b in out["d"]["buckets"]] == [
        ("2023-12-31T00:00:00.000-05:00", start, 4),
        ("2024-01-01T00:00:00.000-05:00", start + 86_400_000, 1),
        ("2024-01-02T00:00:00.000-05:00", start + 2 * 86_400_000, 2),
    ]


def test_date_histogram_fixed_interval_extended_bounds_and_keyed(indices: list[Index]) -> None:
    out = aggs(indices, {"d": {"date_histogram": {
        "field": "ts", "fixed_interval": "12h", "keyed": True, "format": "yyyy-MM-dd HH",
        "extended_bounds": {"min": "2023-12-31 12", "max": "2024-01-03 12"}}}})
    assert {k: v["doc_count"] for k, v in out["d"]["buckets"].items()} == {
        "2023-12-31 12": 0, "2024-01-01 00": 4, "2024-01-01 12": 0, "2024-01-02 00": 2,
        "2024-01-02 12": 0, "2024-01-03 00": 1, "2024-01-03 12": 0}


def test_date_histogram_month_and_min_doc_count(indices: list[Index]) -> None:
    out = aggs(indices, {
        "m": {"date_histogram": {"field": "ts", "calendar_interval": "month"}},
        "h": {"date_histogram": {"field": "ts", "fixed_interval": "1h", "min_doc_count": 1}},
    })
    assert keys(out["m"]) == [(DAY1, 7)]
    assert len(out["h"]["buckets"]) == 6


def test_histogram_fills_empty_buckets(indices: list[Index]) -> None:
    out = aggs(indices, {"h": {"histogram": {"field": "bytes", "interval": 100}}})
    assert keys(out["h"]) == [(0.0, 5), (100.0, 1), (200.0, 0), (300.0, 1)]


def test_auto_date_histogram(indices: list[Index]) -> None:
    out = aggs(indices, {"a": {"auto_date_histogram": {"field": "ts", "buckets": 3}}})
    assert out["a"]["interval"] == "1d"
    assert keys(out["a"]) == [(DAY1, 4), (DAY2, 2), (DAY3, 1)]


# --------------------------------------------------------------------------- ranges, filters


def test_range_and_date_range(indices: list[Index]) -> None:
    out = aggs(indices, {
        "r": {"range": {"field": "status", "ranges": [{"to": 300}, {"from": 300},
                                                      {"from": 250, "to": 450}]}},
        "d": {"date_range": {"field": "ts", "ranges": [{"to": "2024-01-02"},
                                                       {"from": "2024-01-02||/d"}]}},
    })
    assert out["r"]["buckets"] == [
        {"key": "*-300.0", "to": 300.0, "doc_count": 4},
        {"key": "250.0-450.0", "from": 250.0, "to": 450.0, "doc_count": 2},
        {"key": "300.0-*", "from": 300.0, "doc_count": 3},
    ]
    assert out["d"]["buckets"] == [
        {"key": "*-2024-01-02T00:00:00.000Z", "to": float(DAY2),
         "to_as_string": "2024-01-02T00:00:00.000Z", "doc_count": 4},
        {"key": "2024-01-02T00:00:00.000Z-*", "from": float(DAY2),
         "from_as_string": "2024-01-02T00:00:00.000Z", "doc_count": 3},
    ]


def test_ip_range_with_cidr_masks(indices: list[Index]) -> None:
    out = aggs(indices, {"r": {"ip_range": {"field": "ip", "ranges": [
        {"mask": "10.0.0.0/31"}, {"from": "10.0.0.2", "to": "10.0.0.4"}, {"from": "10.0.0.4"}]}}})
    assert out["r"]["buckets"] == [
        {"key": "10.0.0.0/31", "from": "10.0.0.0", "to": "10.0.0.2", "doc_count": 3},
        {"key": "10.0.0.2-10.0.0.4", "from": "10.0.0.2", "to": "10.0.0.4", "doc_count": 3},
        {"key": "10.0.0.4-*", "from": "10.0.0.4", "doc_count": 1},
    ]


def test_filter_filters_missing_global(indices: list[Index]) -> None:
    out = aggs(indices, {
        "blocked": {"filter": {"term": {"action": "BLOCK"}},
                    "aggs": {"bytes": {"sum": {"field": "bytes"}}}},
        "named": {"filters": {"other_bucket": True, "filters": {
            "errors": {"range": {"status": {"gte": 400}}}, "ok": {"term": {"status": 200}}}}},
        "anon": {"filters": {"filters": [{"term": {"action": "ALLOW"}},
                                         {"term": {"ip": "10.0.0.1"}}]}},
        "no_user": {"missing": {"field": "user.keyword"}},
        "all": {"global": {}, "aggs": {"n": {"value_count": {"field": "status"}}}},
    }, query={"term": {"action": "ALLOW"}})
    assert out["blocked"] == {"doc_count": 0, "bytes": {"value": 0.0}}
    assert out["named"] == {"buckets": {"errors": {"doc_count": 1}, "ok": {"doc_count": 4},
                                        "_other_": {"doc_count": 0}}}
    assert out["anon"] == {"buckets": [{"doc_count": 5}, {"doc_count": 2}]}
    assert out["no_user"] == {"doc_count": 4}
    assert out["all"] == {"doc_count": 7, "n": {"value": 7}}


def test_filters_nested_under_terms(indices: list[Index]) -> None:
    out = aggs(indices, {"ips": {"terms": {"field": "ip", "size": 2}, "aggs": {
        "errors": {"filter": {"range": {"status": {"gte": 400}}}}}}})
    assert [(b["key"], b["errors"]["doc_count"]) for b in out["ips"]["buckets"]] == [
        ("10.0.0.1", 1), ("10.0.0.2", 1)]


# --------------------------------------------------------------------------- composite


def test_composite_pages_with_after(indices: list[Index]) -> None:
    sources = [{"ip": {"terms": {"field": "ip"}}}, {"action": {"terms": {"field": "action"}}}]
    pages, after = [], None
    for _ in range(5):
        body: dict[str, Any] = {"size": 2, "sources": sources}
        if after is not None:
            body["after"] = after
        page = aggs(indices, {"c": {"composite": body}})["c"]
        pages.append([(tuple(b["key"].values()), b["doc_count"]) for b in page["buckets"]])
        if "after_key" not in page:
            break
        after = page["after_key"]
    assert pages == [
        [(("10.0.0.1", "ALLOW"), 2), (("10.0.0.1", "BLOCK"), 1)],
        [(("10.0.0.2", "ALLOW"), 1), (("10.0.0.2", "BLOCK"), 1)],
        [(("10.0.0.3", "ALLOW"), 1), (("10.0.0.4", "ALLOW"), 1)],
        [],
    ]


def test_composite_date_histogram_source_with_sub_aggregation(indices: list[Index]) -> None:
    out = aggs(indices, {"c": {"composite": {"sources": [
        {"day": {"date_histogram": {"field": "ts", "calendar_interval": "1d"}}}]},
        "aggs": {"max": {"max": {"field": "status"}}}}})
    assert [(b["key"]["day"], b["doc_count"], b["max"]["value"])
            for b in out["c"]["buckets"]] == [(DAY1, 4, 500.0), (DAY2, 2, 403.0),
                                              (DAY3, 1, 200.0)]
    assert out["c"]["after_key"] == {"day": DAY3}


# --------------------------------------------------------------------------- others


def test_rare_and_significant_terms(indices: list[Index]) -> None:
    out = aggs(indices, {"rare": {"rare_terms": {"field": "ip"}}})
    assert out["rare"] == {"buckets": [{"key": "10.0.0.3", "doc_count": 1},
                                       {"key": "10.0.0.4", "doc_count": 1}]}
    sig = aggs(indices, {"s": {"significant_terms": {"field": "ip", "min_doc_count": 1}}},
               query={"term": {"action": "BLOCK"}})["s"]
    assert (sig["doc_count"], sig["bg_count"]) == (2, 7)
    # 10.0.0.1: (1/2 - 3/7) * (1/2)/(3/7); 10.0.0.2: (1/2 - 2/7) * (1/2)/(2/7)
    assert [(b["key"], b["doc_count"], b["bg_count"]) for b in sig["buckets"]] == [
        ("10.0.0.2", 1, 2), ("10.0.0.1", 1, 3)]
    assert sig["buckets"][0]["score"] == pytest.approx((0.5 - 2 / 7) * (0.5 / (2 / 7)))
    # under a histogram: each bucket's own rare terms (its children are not a filter's)
    out = aggs(indices, {"h": {"histogram": {"field": "status", "interval": 1000},
                               "aggs": {"rare": {"rare_terms": {"field": "action"}}}}})
    assert out["h"]["buckets"][0]["rare"] == {"buckets": []}
    out = aggs(indices, {"a": {"terms": {"field": "action"},
                               "aggs": {"rare": {"rare_terms": {"field": "ip"}}}}})
    assert [(b["key"], [r["key"] for r in b["rare"]["buckets"]])
            for b in out["a"]["buckets"]] == [("ALLOW", ["10.0.0.2", "10.0.0.3", "10.0.0.4"]),
                                               ("BLOCK", ["10.0.0.1", "10.0.0.2"])]


def test_geo_grids(indices: list[Index]) -> None:
    out = aggs(indices, {"h": {"geohash_grid": {"field": "loc", "precision": 2}},
                         "t": {"geotile_grid": {"field": "loc", "precision": 3}}})
    assert keys(out["h"]) == [("s3", 1), ("sg", 1)]
    assert keys(out["t"]) == [("3/4/3", 2)]


def test_pipelines(indices: list[Index]) -> None:
    out = aggs(indices, {
        "days": {"date_histogram": {"field": "ts", "calendar_interval": "day"}, "aggs": {
            "bytes": {"sum": {"field": "bytes"}},
            "change": {"derivative": {"buckets_path": "bytes"}},
            "running": {"cumulative_sum": {"buckets_path": "bytes"}},
            "per_doc": {"bucket_script": {"buckets_path": {"b": "bytes", "n": "_count"},
                                          "script": "params.b / params.n"}},
            "avg2": {"moving_fn": {"buckets_path": "bytes", "window": 2,
                                   "script": "MovingFunctions.unweightedAvg(values)"}},
            "smooth": {"moving_fn": {"buckets_path": "_count", "window": 2,
                                     "script": "MovingFunctions.ewma(values, 0.5)"}},
        }},
        "busiest": {"max_bucket": {"buckets_path": "days>bytes"}},
        "mean": {"avg_bucket": {"buckets_path": "days>_count"}},
        "spread": {"stats_bucket": {"buckets_path": "days>bytes"}},
    })
    day1, day2, day3 = out["days"]["buckets"]
    assert "change" not in day1
    assert (day2["change"], day3["change"]) == ({"value": -370.0}, {"value": -50.0})
    assert [d["running"]["value"] for d in (day1, day2, day3)] == [460.0, 550.0, 590.0]
    assert [d["per_doc"]["value"] for d in (day1, day2, day3)] == [115.0, 45.0, 40.0]
    assert [d["avg2"]["value"] for d in (day1, day2, day3)] == [None, 460.0, 275.0]
    assert [d["smooth"]["value"] for d in (day1, day2, day3)] == [None, 4.0, 3.0]
    assert out["busiest"] == {"value": 460.0, "keys": ["2024-01-01T00:00:00.000Z"]}
    assert out["mean"] == {"value": 7 / 3}
    assert out["spread"] == {"count": 3, "min": 40.0, "max": 460.0, "avg": 590 / 3, "sum": 590.0}


def test_bucket_selector_and_sort(indices: list[Index]) -> None:
    out = aggs(indices, {"ips": {"terms": {"field": "ip"}, "aggs": {
        "bytes": {"sum": {"field": "bytes"}},
        "big": {"bucket_selector": {"buckets_path": {"b": "bytes"}, "script": "params.b > 30"}},
        "order": {"bucket_sort": {"sort": [{"bytes": {"order": "asc"}}], "size": 2}},
    }}})
    assert [(b["key"], b["bytes"]["value"]) for b in out["ips"]["buckets"]] == [
        ("10.0.0.4", 40.0), ("10.0.0.1", 170.0)]


def test_painless_beyond_params_arithmetic_is_refused(indices: list[Index]) -> None:
    with pytest.raises(LoghavenError) as caught:
        aggs(indices, {"d": {"terms": {"field": "ip"}, "aggs": {"s": {"bucket_script": {
            "buckets_path": {"c": "_count"}, "script": "doc['bytes'].value * params.c"}}}}})
    assert caught.value.status == 400
    assert "params" in caught.value.reason


def test_derivative_needs_a_histogram_parent(indices: list[Index]) -> None:
    with pytest.raises(LoghavenError) as caught:
        aggs(indices, {"d": {"derivative": {"buckets_path": "x"}}})
    assert caught.value.status == 400


def test_meta_nesting_and_empty_results(indices: list[Index]) -> None:
    body = {"a": {"terms": {"field": "action"}, "meta": {"panel": 1}, "aggs": {
        "d": {"date_histogram": {"field": "ts", "calendar_interval": "day"}, "aggs": {
            "ips": {"cardinality": {"field": "ip"}}}}}},
        "avg": {"avg": {"field": "bytes"}}, "p": {"percentiles": {"field": "bytes",
                                                                   "percents": [50]}}}
    out = aggs(indices, body)
    assert out["a"]["meta"] == {"panel": 1}
    allow = out["a"]["buckets"][0]
    assert [(b["doc_count"], b["ips"]["value"]) for b in allow["d"]["buckets"]] == [
        (3, 3), (1, 1), (1, 1)]
    empty = run_aggregations(body, [], now_ms=NOW)
    assert empty == {"a": {"meta": {"panel": 1}, "doc_count_error_upper_bound": 0,
                           "sum_other_doc_count": 0, "buckets": []},
                     "avg": {"value": None}, "p": {"values": {"50.0": None}}}


def test_order_by_a_filter_sub_aggregation(indices: list[Index]) -> None:
    out = aggs(indices, {"ips": {"terms": {"field": "ip", "order": {"errors": "desc"}},
                                 "aggs": {"errors": {"filter": {"range": {"status": {"gte": 400}}}}}}})
    assert [(b["key"], b["errors"]["doc_count"]) for b in out["ips"]["buckets"]] == [
        ("10.0.0.1", 1), ("10.0.0.2", 1), ("10.0.0.3", 1), ("10.0.0.4", 0)]


def test_selector_over_filters_buckets(indices: list[Index]) -> None:
    out = aggs(indices, {"kinds": {"filters": {"filters": {
        "errors": {"range": {"status": {"gte": 400}}}, "ok": {"term": {"status": 200}}}},
        "aggs": {"busy": {"bucket_selector": {"buckets_path": {"n": "_count"},
                                              "script": "params.n > 3"}}}}})
    assert out["kinds"] == {"buckets": {"ok": {"doc_count": 4}}}


@pytest.mark.parametrize(("body", "kind"), [
    ({"a": {"avg": {"field": "action"}}}, "illegal_argument_exception"),
    ({"t": {"terms": {"field": "ip"}, "aggs": {"g": {"global": {}}}}},
     "aggregation_initialization_exception"),
    ({"t": {"terms": {"field": "ip", "size": 0}}}, "parsing_exception"),
    ({"d": {"date_histogram": {"field": "action", "fixed_interval": "1h"}}},
     "illegal_argument_exception"),
    ({"h": {"histogram": {"field": "bytes", "interval": 0.001}}}, "too_many_buckets_exception"),
    ({"t": {"terms": {"script": "doc['ip'].value"}}}, "illegal_argument_exception"),
])
def test_invalid_definitions(indices: list[Index], body: dict[str, Any], kind: str) -> None:
    with pytest.raises(LoghavenError) as caught:
        aggs(indices, body)
    assert (caught.value.status, caught.value.type) == (400, kind)


def test_terms_on_index_name_across_a_pattern(indices: list[Index]) -> None:
    out = aggs(indices, {"by_index": {"terms": {"field": "_index"},
                                      "aggs": {"bytes": {"sum": {"field": "bytes"}}}}})
    assert [(b["key"], b["doc_count"], b["bytes"]["value"])
            for b in out["by_index"]["buckets"]] == [("logs-1", 5, 480.0), ("logs-2", 2, 110.0)]


def test_derivative_unit_moving_avg_and_date_percentiles(indices: list[Index]) -> None:
    out = aggs(indices, {
        "days": {"date_histogram": {"field": "ts", "calendar_interval": "day"}, "aggs": {
            "n": {"value_count": {"field": "ip"}},
            "rate": {"derivative": {"buckets_path": "n", "unit": "1h"}},
            "avg": {"moving_avg": {"buckets_path": "n", "window": 2}},
        }},
        "when": {"percentiles": {"field": "ts", "percents": [50]}},
    })
    day2 = out["days"]["buckets"][1]
    assert day2["rate"] == {"value": -2.0, "normalized_value": -2.0 / 24}
    assert day2["avg"] == {"value": 4.0}
    assert out["when"] == {"values": {"50.0": 1704078000000.0,
                                      "50.0_as_string": "2024-01-01T03:00:00.000Z"}}


def test_composite_missing_bucket_pages_after_null(indices: list[Index]) -> None:
    sources = [{"user": {"terms": {"field": "user.keyword", "missing_bucket": True}}}]
    first = aggs(indices, {"c": {"composite": {"size": 1, "sources": sources}}})["c"]
    assert first == {"after_key": {"user": None},
                     "buckets": [{"key": {"user": None}, "doc_count": 6}]}
    second = aggs(indices, {"c": {"composite": {"size": 1, "sources": sources,
                                                "after": first["after_key"]}}})["c"]
    assert second["buckets"] == [{"key": {"user": "bob"}, "doc_count": 1}]


def test_keyed_ranges_leave_the_key_out(indices: list[Index]) -> None:
    out = aggs(indices, {"r": {"range": {"field": "status", "keyed": True, "ranges": [
        {"to": 300}, {"key": "high", "from": 300}]}}})
    assert out["r"] == {"buckets": {"*-300.0": {"to": 300.0, "doc_count": 4},
                                    "high": {"from": 300.0, "doc_count": 3}}}


def test_terms_min_doc_count_zero_shows_every_term(indices: list[Index]) -> None:
    out = aggs(indices, {"a": {"terms": {"field": "action", "min_doc_count": 0}}},
               query={"term": {"ip": "10.0.0.4"}})
    assert keys(out["a"]) == [("ALLOW", 1), ("BLOCK", 0)]


def test_filters_under_a_histogram_run_once_per_filter(indices: list[Index]) -> None:
    out = aggs(indices, {"days": {"date_histogram": {"field": "ts", "calendar_interval": "day"},
                                  "aggs": {"kind": {"filters": {"other_bucket": True, "filters": {
                                      "errors": {"range": {"status": {"gte": 400}}}}},
                                      "aggs": {"bytes": {"sum": {"field": "bytes"}}}}}}})
    assert [{k: (v["doc_count"], v["bytes"]["value"]) for k, v in b["kind"]["buckets"].items()}
            for b in out["days"]["buckets"]] == [
        {"errors": (2, 60.0), "_other_": (2, 400.0)},
        {"errors": (1, 70.0), "_other_": (1, 20.0)},
        {"errors": (0, 0.0), "_other_": (1, 40.0)}]


def test_composite_formatted_date_keys_page(indices: list[Index]) -> None:
    source = [{"day": {"date_histogram": {"field": "ts", "fixed_interval": "1d",
                                          "format": "yyyy-MM-dd"}}}]
    first = aggs(indices, {"c": {"composite": {"size": 1, "sources": source}}})["c"]
    assert first["after_key"] == {"day": "2024-01-01"}
    second = aggs(indices, {"c": {"composite": {"size": 5, "sources": source,
                                                "after": first["after_key"]}}})["c"]
    assert [(b["key"]["day"], b["doc_count"]) for b in second["buckets"]] == [
        ("2024-01-02", 2), ("2024-01-03", 1)]


def test_global_sees_splits_the_search_pruned(indices: list[Index]) -> None:
    logs_1 = indices[0]
    first = logs_1.searchable_splits()[0]
    contexts = [SplitContext(logs_1, first, first.searcher(),
                             compile_query(None, first, logs_1.mapping, now_ms=NOW))]
    out = run_aggregations({"all": {"global": {}}, "n": {"value_count": {"field": "ip"}}},
                           contexts, now_ms=NOW)
    assert out == {"all": {"doc_count": 5}, "n": {"value": 4}}


def test_geo_bounds_wrap_the_date_line() -> None:
    from loghaven.search.aggregations.metrics.geo import GeoBounds
    from loghaven.search.aggregations.metrics.stats import Stats
    from loghaven.search.aggregations.tree import Env

    bounds = GeoBounds("b", {"field": "loc"}, [], [], None, Env([], NOW))
    partial = (Stats(2, 0.0, -10.0, 10.0), Stats(1, -170.0, -170.0, -170.0),
               Stats(1, 170.0, 170.0, 170.0))
    assert bounds.render(partial) == {"bounds": {"top_left": {"lat": 10.0, "lon": 170.0},
                                                 "bottom_right": {"lat": -10.0, "lon": -170.0}}}


def test_pipeline_scripts_run_on_the_painless_evaluator(indices: list[Index]) -> None:
    """bucket_script and bucket_selector run loghaven.scripting: locals, ternaries and Math;
    a gap kept by keep_values is NaN to the script (rendered null, comparisons false)."""
    hourly = {"date_histogram": {"field": "ts", "fixed_interval": "1h"}, "aggs": {
        "avg": {"avg": {"field": "bytes"}},
        "kept": {"bucket_script": {"buckets_path": {"a": "avg"}, "gap_policy": "keep_values",
                                   "script": "params.a * 2"}},
        "per_doc": {"bucket_script": {"buckets_path": {"a": "avg", "n": "_count"}, "script": {
            "source": "double r = params.a / params.n; return r > params.min ? Math.round(r) "
                      ": -1", "params": {"min": 50}}}},
    }}
    out = aggs(indices, {"h": hourly}, query={"range": {"ts": {"lt": "2024-01-01T04:00:00Z"}}})
    buckets = out["h"]["buckets"]
    assert [b["doc_count"] for b in buckets] == [2, 1, 0, 1]
    assert [b["kept"]["value"] for b in buckets] == [150.0, 600.0, None, 20.0]
    assert [b.get("per_doc", {}).get("value") for b in buckets] == [-1.0, 300.0, None, -1.0]
    assert "per_doc" not in buckets[2]  # a gap under the default skip policy
    selected = aggs(indices, {"h": {**hourly, "aggs": {
        "avg": {"avg": {"field": "bytes"}},
        "some": {"bucket_selector": {"buckets_path": {"a": "avg"}, "gap_policy": "keep_values",
                                     "script": "params.a > 20 || params.a < 0"}}}}},
        query={"range": {"ts": {"lt": "2024-01-01T04:00:00Z"}}})
    assert [b["avg"]["value"] for b in selected["h"]["buckets"]] == [75.0, 300.0]


def test_pipeline_script_errors_keep_their_bodies(indices: list[Index]) -> None:
    def fails(script: str) -> LoghavenError:
        with pytest.raises(LoghavenError) as caught:
            aggs(indices, {"d": {"terms": {"field": "ip"}, "aggs": {"s": {"bucket_script": {
                "buckets_path": {"c": "_count"}, "script": script}}}}})
        return caught.value

    unknown = fails("doc['bytes'].value * params.c")
    assert (unknown.status, unknown.type) == (400, "illegal_argument_exception")
    assert unknown.reason.endswith("cannot resolve symbol [doc]")
    division = fails("params.c > 0 ? 1 / 0 : 0")
    assert (division.status, division.type, division.reason) == (
        400, "illegal_argument_exception", "ArithmeticException: / by zero")
    assert fails("params.c.size()").type == "script_exception"  # Painless' own runtime error


def test_bucket_count_includes_sub_aggregations_and_keyed_buckets(indices: list[Index]) -> None:
    """What ``search.max_buckets`` counts: every bucket at every level, keyed or not, and
    nothing for metrics (whose values may be objects too)."""
    out = aggs(indices, {
        "days": {"date_histogram": {"field": "ts", "calendar_interval": "day", "keyed": True},
                 "aggs": {"actions": {"terms": {"field": "action"}},
                          "stats": {"stats": {"field": "bytes"}}}},
        "ranges": {"range": {"field": "status", "ranges": [{"to": 300}, {"from": 300}]}},
        "pct": {"percentiles": {"field": "bytes", "percents": [50]}}})
    days = out["days"]["buckets"]
    assert isinstance(days, dict)
    actions = sum(len(day["actions"]["buckets"]) for day in days.values())
    assert len(days) >= 2 and actions > len(days)
    assert count_buckets(out) == len(days) + actions + 2


def test_order_by_a_sub_aggregation_breaks_ties_by_key_like_es(tmp_path: Path) -> None:
    """ES's shard keeps the top terms by the order with ties broken by key, so one split
    ordered by a sub-aggregation gives the least keys among equal values, whether tantivy
    can read the value (a metric) or not (a path through a ``filter``)."""
    catalog = Catalog(tmp_path, SqliteMetastore(tmp_path / "meta.db"))
    # a00 has 10 documents, a01 9, ..., a08 2; a09 one, with the highest status and bytes
    docs = [doc("10.0.0.1", f"a{i:02d}", 200, 1.0, "2024-01-01T00:00:00Z")
            for i in range(9) for _ in range(10 - i)]
    docs.append(doc("10.0.0.1", "a09", 500, 999.0, "2024-01-01T00:00:00Z"))
    try:
        index = build(catalog, "ties", [docs])
        out = aggs([index], {
            "by_metric": {"terms": {"field": "action", "size": 3,
                                    "order": {"top_status": "desc"}},
                          "aggs": {"top_status": {"max": {"field": "status"}}}},
            "by_filter": {"terms": {"field": "action", "size": 3,
                                    "order": {"ok>top_bytes": "desc"}},
                          "aggs": {"ok": {"filter": {"range": {"status": {"gte": 200}}},
                                          "aggs": {"top_bytes": {"max": {"field": "bytes"}}}}}},
        })
        assert [(b["key"], b["top_status"]["value"]) for b in out["by_metric"]["buckets"]] == [
            ("a09", 500.0), ("a00", 200.0), ("a01", 200.0)]
        assert [(b["key"], b["ok"]["top_bytes"]["value"])
                for b in out["by_filter"]["buckets"]] == [
            ("a09", 999.0), ("a00", 1.0), ("a01", 1.0)]
        assert out["by_metric"]["sum_other_doc_count"] == sum(range(2, 9))
    finally:
        catalog.close()
