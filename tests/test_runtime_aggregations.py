"""Runtime fields anywhere in an aggregation tree (search/aggregations/computed.py), over the
Elasticsearch documentation's runtime-field example data: the docs' ``day_of_week`` keyword
in the mapping's ``runtime`` section, and doubles, longs, dates and booleans emitted from the
indexed fields in the request's ``runtime_mappings``. Where a runtime field copies an indexed
one, the answer must be the native aggregation's, key for key."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
from tests.test_mapping_features import _create, _measures, _search

_MAPPING = {
    "runtime": {"day_of_week": {"type": "keyword", "script": {"source":
        "emit(doc['@timestamp'].value.dayOfWeekEnum.getDisplayName(TextStyle.FULL, Locale.ROOT))"}}},
    "properties": {"@timestamp": {"type": "date"}, "model_number": {"type": "keyword"},
                   "measures": {"properties": {"voltage": {"type": "double"}}}}}

_RUNTIME = {
    # copies of indexed fields: their aggregations must equal the native ones
    "voltage": {"type": "double", "script": "emit(doc['measures.voltage'].value)"},
    "day": {"type": "date", "script": "emit(doc['@timestamp'].value.toInstant().toEpochMilli())"},
    "model": {"type": "keyword", "script": "emit(doc['model_number'].value)"},
    # computed ones
    "voltage_x10": {"type": "double", "script": "emit(doc['measures.voltage'].value * 10)"},
    "day_of_month": {"type": "long", "script": "emit(doc['@timestamp'].value.getDayOfMonth())"},
    "high": {"type": "boolean", "script": "emit(doc['measures.voltage'].value > 5)"},
    "band": {"type": "keyword", "script":
             "if (doc['measures.voltage'].value > 5) { emit('high'); }"},
}


#: Requests from a web server: an address (one lacks it, one is IPv6), a host, bytes and a
#: weight, each also copied by a runtime field (``rt_`` + its name) of the same type.
_REQUESTS = [
    {"ip": "10.0.0.1", "host": "web-1", "bytes": 100, "weight": 2},
    {"ip": "10.0.0.5", "host": "web-1", "bytes": 300, "weight": 1},
    {"ip": "10.0.0.200", "host": "web-2", "bytes": 50, "weight": 4},
    {"ip": "192.168.1.7", "host": "web-2", "bytes": 1000},
    {"host": "web-3", "bytes": 70, "weight": 3},
    {"ip": "2001:db8::1", "host": "web-1", "weight": 1},
]
_REQUEST_TYPES = {"ip": "ip", "host": "keyword", "bytes": "long", "weight": "double"}
_COPIES = {f"rt_{name}": {"type": kind, "script": f"if (doc['{name}'].size() > 0) "
                          f"{{ emit(doc['{name}'].value); }}"}
           for name, kind in _REQUEST_TYPES.items()}


def _requests(es: httpx.Client, index: str) -> None:
    _create(es, index, {"properties": {n: {"type": t} for n, t in _REQUEST_TYPES.items()}})
    lines = []
    for source in _REQUESTS:
        lines += ['{"index":{}}', orjson.dumps(source).decode()]
    response = es.post(f"/{index}/_bulk?refresh=true", content="\n".join(lines) + "\n",
                       headers={"content-type": "application/x-ndjson"})
    assert response.status_code == 200 and not response.json()["errors"], response.text


def _same_as_mapped(es: httpx.Client, index: str, aggs: dict[str, Any]) -> dict[str, Any]:
    """The answer of ``aggs`` over the mapped request fields, after checking that the same
    aggregations over their runtime copies (every ``"field": name`` made ``rt_`` + name)
    answer the same, key for key."""
    def search(body: Any) -> dict[str, Any]:
        return _search(es, index, {"size": 0, "runtime_mappings": _COPIES,
                                   "aggs": body})["aggregations"]

    def copied(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: f"rt_{v}" if k == "field" and v in _REQUEST_TYPES else copied(v)
                    for k, v in node.items()}
        if isinstance(node, list):
            return [copied(v) for v in node]
        return node

    native = search(aggs)
    assert _rounded(search(copied(aggs))) == _rounded(native)
    return native


def _aggs(es: httpx.Client, index: str, aggs: dict[str, Any], **body: Any) -> dict[str, Any]:
    return _search(es, index, {"size": 0, "runtime_mappings": _RUNTIME, "aggs": aggs,
                               **body})["aggregations"]


def _rounded(value: Any) -> Any:
    """A response with its doubles rounded: a sum in another order differs in the last bit."""
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def _week(key: int, day: str, count: int, sub: dict[str, Any]) -> dict[str, Any]:
    return {"key_as_string": f"{day}T00:00:00.000Z", "key": key, "doc_count": count, **sub}


def _terms(buckets: list[tuple[Any, int]], other: int = 0) -> dict[str, Any]:
    return {"doc_count_error_upper_bound": 0, "sum_other_doc_count": other,
            "buckets": [{"key": k, "doc_count": n} for k, n in buckets]}


def test_runtime_terms_under_a_date_histogram(es: httpx.Client, index_name: str) -> None:
    """The docs' ``day_of_week`` (the mapping's runtime section) per week, with ``size``;
    a runtime keyword some documents lack, with ``missing`` and ``order``."""
    _measures(es, index_name, _MAPPING)
    aggs = _aggs(es, index_name, {"weeks": {
        "date_histogram": {"field": "@timestamp", "calendar_interval": "week"},
        "aggs": {"days": {"terms": {"field": "day_of_week", "size": 2}},
                 "bands": {"terms": {"field": "band", "missing": "low",
                                     "order": {"_key": "desc"}}}}}})
    assert aggs == {"weeks": {"buckets": [
        _week(1515974400000, "2018-01-15", 4, {
            "days": _terms([("Friday", 1), ("Saturday", 1)], other=2),
            "bands": _terms([("low", 2), ("high", 2)])}),
        _week(1516579200000, "2018-01-22", 2, {
            "days": _terms([("Monday", 1), ("Tuesday", 1)]),
            "bands": _terms([("high", 2)])})]}}
    # a runtime keyword copying model_number answers as model_number does, at any depth
    runtime = _aggs(es, index_name, {"weeks": {
        "date_histogram": {"field": "@timestamp", "calendar_interval": "week"},
        "aggs": {"models": {"terms": {"field": "model", "min_doc_count": 0}}}}})
    native = _aggs(es, index_name, {"weeks": {
        "date_histogram": {"field": "@timestamp", "calendar_interval": "week"},
        "aggs": {"models": {"terms": {"field": "model_number", "min_doc_count": 0}}}}})
    assert runtime == native
    assert runtime["weeks"]["buckets"][1]["models"] == _terms([("QVKC92Q", 2), ("HG537PU", 0)])


def test_native_terms_with_runtime_metrics_below(es: httpx.Client, index_name: str) -> None:
    """Metrics over a runtime double under a native terms, also as its ``order``: the same
    answer as over the indexed double."""
    _measures(es, index_name, _MAPPING)

    def models(field: str) -> dict[str, Any]:
        metrics = {kind: {kind: {"field": field}} for kind in (
            "min", "max", "avg", "sum", "value_count", "cardinality", "stats",
            "extended_stats")}
        metrics["p"] = {"percentiles": {"field": field, "percents": [50, 99]}}
        metrics["ranks"] = {"percentile_ranks": {"field": field, "values": [5]}}
        metrics["mad"] = {"median_absolute_deviation": {"field": field}}
        return _aggs(es, index_name, {"models": {
            "terms": {"field": "model_number", "order": {"avg": "asc"}}, "aggs": metrics}})

    runtime = models("voltage")
    assert _rounded(runtime) == _rounded(models("measures.voltage"))
    # a runtime terms ordered by its child (run per bucket): every term is ranked
    days = _aggs(es, index_name, {"days": {
        "terms": {"field": "day_of_week", "order": {"max": "desc"}, "size": 2},
        "aggs": {"max": {"max": {"field": "voltage"}}}}})
    assert days == {"days": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 4,
                             "buckets": [{"key": "Monday", "doc_count": 1, "max": {"value": 5.8}},
                                         {"key": "Saturday", "doc_count": 1,
                                          "max": {"value": 5.6}}]}}
    buckets = runtime["models"]["buckets"]
    assert [(b["key"], b["doc_count"], round(b["avg"]["value"], 3), b["value_count"]["value"],
             b["p"]["values"]["50.0"]) for b in buckets] == [
        ("HG537PU", 2, 4.1, 2, 4.1), ("QVKC92Q", 4, 5.425, 4, 5.4)]
    assert buckets[0]["stats"] == {"count": 2, "min": 4.0, "max": 4.2, "avg": 4.1, "sum": 8.2}


def test_histogram_on_a_runtime_double(es: httpx.Client, index_name: str) -> None:
    """ES's empty buckets between the first and last key and to ``extended_bounds``, native
    and runtime sub-aggregations per bucket."""
    _measures(es, index_name, _MAPPING)
    aggs = _aggs(es, index_name, {"volts": {
        "histogram": {"field": "voltage_x10", "interval": 5,
                      "extended_bounds": {"min": 35, "max": 55}},
        "aggs": {"models": {"terms": {"field": "model"}},
                 "max": {"max": {"field": "measures.voltage"}}}}})

    def bucket(key: float, count: int, models: list[tuple[str, int]],
               top: float | None) -> dict[str, Any]:
        return {"key": key, "doc_count": count, "models": _terms(models), "max": {"value": top}}

    assert aggs == {"volts": {"buckets": [
        bucket(35.0, 0, [], None), bucket(40.0, 2, [("HG537PU", 2)], 4.2),
        bucket(45.0, 0, [], None), bucket(50.0, 2, [("QVKC92Q", 2)], 5.2),
        bucket(55.0, 2, [("QVKC92Q", 2)], 5.8)]}}
    # over the copy of an indexed double: the native histogram's answer
    spec = {"interval": 0.5, "min_doc_count": 1, "missing": 0}
    assert _aggs(es, index_name, {"h": {"histogram": {"field": "voltage", **spec}}}) == \
        _aggs(es, index_name, {"h": {"histogram": {"field": "measures.voltage", **spec}}})


def test_date_histogram_on_a_runtime_date(es: httpx.Client, index_name: str) -> None:
    """Calendar and fixed intervals, a time zone, ``format`` and ``min_doc_count`` over a
    runtime date equal to ``@timestamp``: the native date_histogram's answer."""
    _measures(es, index_name, _MAPPING)
    specs = [{"calendar_interval": "week"},
             {"calendar_interval": "month", "time_zone": "Europe/Amsterdam",
              "format": "yyyy-MM-dd"},
             {"fixed_interval": "2d", "min_doc_count": 1},
             {"calendar_interval": "day", "offset": "+6h", "min_doc_count": 0},
             {"buckets": 3}]
    for spec in specs:
        kind = "auto_date_histogram" if "buckets" in spec else "date_histogram"
        runtime = _aggs(es, index_name, {"d": {kind: {"field": "day", **spec},
                                               "aggs": {"v": {"avg": {"field": "voltage"}}}}})
        native = _aggs(es, index_name, {"d": {kind: {"field": "@timestamp", **spec},
                                              "aggs": {"v": {"avg": {"field": "voltage"}}}}})
        assert _rounded(runtime) == _rounded(native), spec
    weeks = _aggs(es, index_name, {"d": {"date_histogram": {
        "field": "day", "calendar_interval": "week"}}})
    assert weeks == {"d": {"buckets": [_week(1515974400000, "2018-01-15", 4, {}),
                                       _week(1516579200000, "2018-01-22", 2, {})]}}


def test_range_on_a_runtime_long(es: httpx.Client, index_name: str) -> None:
    _measures(es, index_name, _MAPPING)
    aggs = _aggs(es, index_name, {"days": {
        "range": {"field": "day_of_month", "ranges": [{"to": 20}, {"from": 20, "to": 22},
                                                      {"from": 22, "key": "late"}]},
        "aggs": {"volts": {"stats": {"field": "voltage_x10"}}}}})
    assert aggs == {"days": {"buckets": [
        {"key": "*-20.0", "to": 20.0, "doc_count": 2,
         "volts": {"count": 2, "min": 40.0, "max": 42.0, "avg": 41.0, "sum": 82.0}},
        {"key": "20.0-22.0", "from": 20.0, "to": 22.0, "doc_count": 2,
         "volts": {"count": 2, "min": 51.0, "max": 56.0, "avg": 53.5, "sum": 107.0}},
        {"key": "late", "from": 22.0, "doc_count": 2,
         "volts": {"count": 2, "min": 52.0, "max": 58.0, "avg": 55.0, "sum": 110.0}}]}}
    # date_range over the runtime copy of @timestamp
    spec = {"ranges": [{"to": "2018-01-20"}, {"from": "2018-01-20"}]}
    assert _aggs(es, index_name, {"r": {"date_range": {"field": "day", **spec}}}) == \
        _aggs(es, index_name, {"r": {"date_range": {"field": "@timestamp", **spec}}})


def test_filters_and_terms_keys_over_runtime_fields(es: httpx.Client, index_name: str) -> None:
    """filter and filters whose queries name runtime fields, with runtime metrics below;
    boolean and date keys print ``key_as_string`` as ES prints them."""
    _measures(es, index_name, _MAPPING)
    aggs = _aggs(es, index_name, {
        "tuesday": {"filter": {"term": {"day_of_week": "Tuesday"}},
                    "aggs": {"max": {"max": {"field": "voltage_x10"}}}},
        "by_level": {"filters": {"filters": {"high": {"term": {"high": True}},
                                             "low": {"range": {"voltage_x10": {"lt": 50}}}}},
                     "aggs": {"models": {"cardinality": {"field": "model"}},
                              "median": {"percentiles": {"field": "voltage",
                                                         "percents": [50]}}}},
        "high": {"terms": {"field": "high"}}})
    assert aggs == {
        "tuesday": {"doc_count": 1, "max": {"value": 52.0}},
        "by_level": {"buckets": {
            "high": {"doc_count": 4, "models": {"value": 1}, "median": {"values": {"50.0": 5.4}}},
            "low": {"doc_count": 2, "models": {"value": 1}, "median": {"values": {"50.0": 4.1}}}}},
        "high": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": [
            {"key": 1, "key_as_string": "true", "doc_count": 4},
            {"key": 0, "key_as_string": "false", "doc_count": 2}]}}
    runtime = _aggs(es, index_name, {"t": {"terms": {"field": "day", "size": 2}}})
    assert runtime == _aggs(es, index_name, {"t": {"terms": {"field": "@timestamp", "size": 2}}})
    assert runtime["t"]["buckets"][0] == {"key": 1516297294000,
                                          "key_as_string": "2018-01-18T17:41:34.000Z",
                                          "doc_count": 1}


def test_runtime_aggregations_over_several_indices(es: httpx.Client, index_name: str) -> None:
    """An index whose mapping lacks the runtime field adds no values (as an unmapped field);
    the other splits merge as native ones do."""
    _measures(es, index_name, _MAPPING)
    _measures(es, f"{index_name}-more", _MAPPING)
    _measures(es, f"{index_name}-plain", {"properties": _MAPPING["properties"]})
    targets = f"{index_name},{index_name}-more,{index_name}-plain"
    aggs = _aggs(es, targets, {"models": {"terms": {"field": "model_number"}, "aggs": {
        "days": {"terms": {"field": "day_of_week", "size": 1}},
        "volts": {"histogram": {"field": "voltage_x10", "interval": 10}}}}})
    qv, hg = aggs["models"]["buckets"]
    assert (qv["key"], qv["doc_count"], hg["key"], hg["doc_count"]) == \
        ("QVKC92Q", 12, "HG537PU", 6)
    assert hg["days"] == _terms([("Friday", 2)], other=2)
    assert qv["volts"] == {"buckets": [{"key": 50.0, "doc_count": 12}]}


def test_other_aggregations_on_runtime_fields_are_refused(es: httpx.Client,
                                                          index_name: str) -> None:
    """What Loghaven does not compute over a runtime field is a 400 naming the aggregation and
    the field, never an empty answer as if the field were unmapped."""
    _measures(es, index_name, _MAPPING)
    refused = {
        "significant_terms": {"significant_terms": {"field": "day_of_week"}},
        "top_hits": {"top_hits": {"sort": [{"voltage_x10": "desc"}]}},
    }
    for kind, spec in refused.items():
        body = {"size": 0, "runtime_mappings": _RUNTIME, "aggs": {"weeks": {
            "date_histogram": {"field": "@timestamp", "calendar_interval": "week"},
            "aggs": {"x": spec}}}}
        error = _search(es, index_name, body, 400)["error"]
        field = {"top_hits": "voltage_x10"}.get(kind, "day_of_week")
        assert error["type"] == "illegal_argument_exception"
        assert error["reason"] == f"[{kind}] aggregation [x] on runtime field [{field}] is " \
                                  f"not supported by Loghaven", kind


def test_missing_on_a_runtime_field(es: httpx.Client, index_name: str) -> None:
    """ES's ``products_without_a_price`` shape: the documents without a value of a runtime
    field, with sub-aggregations, at the top and under a bucket aggregation."""
    _requests(es, index_name)
    aggs = _same_as_mapped(es, index_name, {
        "no_ip": {"missing": {"field": "ip"}, "aggs": {"bytes": {"sum": {"field": "bytes"}}}},
        "hosts": {"terms": {"field": "host"}, "aggs": {
            "no_weight": {"missing": {"field": "weight"}}}}})
    assert aggs["no_ip"] == {"doc_count": 1, "bytes": {"value": 70.0}}
    assert [(b["key"], b["no_weight"]["doc_count"]) for b in aggs["hosts"]["buckets"]] == [
        ("web-1", 0), ("web-2", 1), ("web-3", 0)]
    # a runtime field that emits for some documents only (the docs' example data)
    _measures(es, f"{index_name}-m", _MAPPING)
    assert _aggs(es, f"{index_name}-m", {"low": {"missing": {"field": "band"}}}) == \
        {"low": {"doc_count": 2}}


def test_ip_range_on_a_runtime_ip(es: httpx.Client, index_name: str) -> None:
    """ES's ip_range examples (``from``/``to`` and CIDR masks, keyed) over a runtime ip,
    IPv6 included: the mapped ip field's answer."""
    _requests(es, index_name)
    aggs = _same_as_mapped(es, index_name, {
        "ranges": {"ip_range": {"field": "ip", "ranges": [{"to": "10.0.0.5"},
                                                           {"from": "10.0.0.5"}]},
                   "aggs": {"bytes": {"max": {"field": "bytes"}}}},
        "masks": {"ip_range": {"field": "ip", "keyed": True, "ranges": [
            {"key": "infinity", "mask": "10.0.0.0/25"}, {"mask": "10.0.0.127/25"},
            {"mask": "2001:db8::/32"}]}},
        "hosts": {"terms": {"field": "host"}, "aggs": {
            "any": {"ip_range": {"field": "ip", "ranges": [{}]}}}}})
    assert aggs["ranges"]["buckets"] == [
        {"key": "*-10.0.0.5", "to": "10.0.0.5", "doc_count": 1, "bytes": {"value": 100.0}},
        {"key": "10.0.0.5-*", "from": "10.0.0.5", "doc_count": 4,
         "bytes": {"value": 1000.0}}]
    assert {k: b["doc_count"] for k, b in aggs["masks"]["buckets"].items()} == {
        "infinity": 2, "10.0.0.127/25": 2, "2001:db8::/32": 1}  # as ES: the /25 holding .127


def test_weighted_avg_with_runtime_value_or_weight(es: httpx.Client, index_name: str) -> None:
    """ES's ``weighted_grade`` shape with the value, the weight or both runtime: the mapped
    fields' answer (documents lacking either are left out), per bucket too."""
    _requests(es, index_name)

    def weighted(value: str, weight: str) -> dict[str, Any]:
        return _search(es, index_name, {"size": 0, "runtime_mappings": _COPIES, "aggs": {
            "w": {"weighted_avg": {"value": {"field": value}, "weight": {"field": weight}}},
            "hosts": {"terms": {"field": "host"}, "aggs": {"w": {"weighted_avg": {
                "value": {"field": value}, "weight": {"field": weight}}}}}}})["aggregations"]

    native = weighted("bytes", "weight")
    assert native["w"] == {"value": (200 + 300 + 200 + 210) / 10}
    for value, weight in (("rt_bytes", "weight"), ("bytes", "rt_weight"),
                          ("rt_bytes", "rt_weight")):
        assert _rounded(weighted(value, weight)) == _rounded(native), (value, weight)


def test_rare_terms_on_a_runtime_field(es: httpx.Client, index_name: str) -> None:
    """ES's rare_terms examples (``max_doc_count``, ``include``/``exclude``) over a runtime
    keyword and long, with sub-aggregations and under a bucket aggregation: the mapped
    fields' answers."""
    _requests(es, index_name)
    aggs = _same_as_mapped(es, index_name, {
        "hosts": {"rare_terms": {"field": "host"}},
        "two": {"rare_terms": {"field": "host", "max_doc_count": 2},
                "aggs": {"bytes": {"sum": {"field": "bytes"}}, "ips": {"terms": {"field": "ip"}}}},
        "some": {"rare_terms": {"field": "host", "max_doc_count": 3, "include": "web-[12]",
                                "exclude": ["web-2"]}},
        "bytes": {"rare_terms": {"field": "bytes"}},
        "per_host": {"terms": {"field": "host"}, "aggs": {
            "weights": {"rare_terms": {"field": "weight"}}}}})
    assert aggs["hosts"] == {"buckets": [{"key": "web-3", "doc_count": 1}]}
    assert aggs["two"]["buckets"] == [
        {"key": "web-3", "doc_count": 1, "bytes": {"value": 70.0},
         "ips": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": []}},
        {"key": "web-2", "doc_count": 2, "bytes": {"value": 1050.0},
         "ips": _terms([("10.0.0.200", 1), ("192.168.1.7", 1)])}]
    assert aggs["some"] == {"buckets": [{"key": "web-1", "doc_count": 3}]}
    assert [b["key"] for b in aggs["bytes"]["buckets"]] == [50, 70, 100, 300, 1000]


def test_multi_terms_with_runtime_terms(es: httpx.Client, index_name: str) -> None:
    """ES's ``genres_and_products`` shape with one or every term a runtime field (keyword,
    long, ip, date), ordered, cut and with sub-aggregations: the mapped fields' answer."""
    _requests(es, index_name)
    _same_as_mapped(es, index_name, {
        "pairs": {"multi_terms": {"terms": [{"field": "host"}, {"field": "ip"}]},
                  "aggs": {"bytes": {"sum": {"field": "bytes"}}}},
        "cut": {"multi_terms": {"terms": [{"field": "host"}, {"field": "bytes"}], "size": 2,
                                "order": {"_key": "desc"}}},
        "by_sum": {"multi_terms": {"terms": [{"field": "weight"}, {"field": "host"}],
                                   "order": {"bytes": "desc"}},
                   "aggs": {"bytes": {"max": {"field": "bytes"}}}}})
    for terms in ([{"field": "rt_host"}, {"field": "ip"}], [{"field": "host"},
                                                          {"field": "rt_ip"}]):
        mixed = _search(es, index_name, {"size": 0, "runtime_mappings": _COPIES, "aggs": {
            "pairs": {"multi_terms": {"terms": terms}}}})["aggregations"]
        assert mixed == _search(es, index_name, {"size": 0, "aggs": {"pairs": {"multi_terms": {
            "terms": [{"field": "host"}, {"field": "ip"}]}}}})["aggregations"]
    # the docs' example data: a runtime keyword and date beside mapped ones, under a histogram
    _measures(es, f"{index_name}-m", _MAPPING)

    def weeks(terms: list[str], **options: Any) -> list[Any]:
        answer = _aggs(es, f"{index_name}-m", {"w": {
            "date_histogram": {"field": "@timestamp", "calendar_interval": "week"}, "aggs": {
                "m": {"multi_terms": {"terms": [{"field": f} for f in terms], **options}}}}})
        return [week["m"] for week in answer["w"]["buckets"]]

    native = weeks(["model_number", "@timestamp"])
    assert weeks(["model", "day"]) == native
    # cut among equal counts, ES keeps the smallest keys (tantivy's own cut of a split may
    # keep others)
    first = weeks(["model", "day"], size=3)[0]
    assert first["buckets"] == native[0]["buckets"][:3] and first["sum_other_doc_count"] == 1
    assert first["buckets"][0]["key_as_string"] == "HG537PU|2018-01-18T17:41:34.000Z"
    days = weeks(["day_of_week", "model_number"])
    assert days[1]["buckets"][0] == {"key": ["Monday", "QVKC92Q"],
                                     "key_as_string": "Monday|QVKC92Q", "doc_count": 1}


def test_top_metrics_with_runtime_sort_or_metrics(es: httpx.Client, index_name: str) -> None:
    """ES's top_metrics shapes (one metric or a list, ``size``, either order) sorting by a
    runtime field, showing runtime metrics, or both, at the top and per bucket (also as a
    terms' order): the mapped fields' answer."""
    _requests(es, index_name)

    def tops(prefix: str) -> dict[str, Any]:
        """The aggregations over the fields named ``prefix`` + name, the prefix taken out of
        the answer's metric names (they are the fields')."""
        def f(name: str) -> str:
            return prefix + name
        answer = _search(es, index_name, {"size": 0, "runtime_mappings": _COPIES, "aggs": {
            "tm": {"top_metrics": {"metrics": {"field": f("weight")},
                                   "sort": {f("bytes"): "desc"}}},
            "three": {"top_metrics": {"metrics": [{"field": f("host")}, {"field": f("bytes")}],
                                      "sort": [{f("weight"): {"order": "asc"}}], "size": 3}},
            "hosts": {"terms": {"field": f("host"), "order": {f"tm[{f('bytes')}]": "desc"}},
                      "aggs": {"tm": {"top_metrics": {"metrics": {"field": f("bytes")},
                                                      "sort": f("weight")}}}}}})
        return orjson.loads(orjson.dumps(answer["aggregations"]).replace(
            f'"{prefix}'.encode(), b'"')) if prefix else answer["aggregations"]

    aggs = tops("")
    assert tops("rt_") == aggs
    assert aggs["tm"] == {"top": [{"sort": [1000], "metrics": {"weight": None}}]}
    assert [t["metrics"]["host"] for t in aggs["three"]["top"]] == ["web-1", "web-1", "web-1"]
    assert [(b["key"], b["tm"]["top"][0]["metrics"]["bytes"])
            for b in aggs["hosts"]["buckets"]] == [("web-1", 300), ("web-3", 70), ("web-2", 50)]
    # a runtime sort with mapped metrics, a mapped sort with runtime metrics
    mixed = _search(es, index_name, {"size": 0, "runtime_mappings": _COPIES, "aggs": {
        "a": {"top_metrics": {"metrics": {"field": "host"}, "sort": {"rt_bytes": "asc"}}},
        "b": {"top_metrics": {"metrics": {"field": "rt_host"}, "sort": {"bytes": "asc"}}}}})
    assert mixed["aggregations"] == {
        "a": {"top": [{"sort": [50], "metrics": {"host": "web-2"}}]},
        "b": {"top": [{"sort": [50], "metrics": {"rt_host": "web-2"}}]}}


def _pages(es: httpx.Client, index: str, composite: dict[str, Any],
           aggs: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every page of a composite aggregation, each asked with the last one's ``after_key``."""
    pages: list[dict[str, Any]] = []
    while True:
        spec = dict(composite)
        if pages:
            spec["after"] = pages[-1]["after_key"]
        body: dict[str, Any] = {"composite": spec}
        if aggs:
            body["aggs"] = aggs
        page = _search(es, index, {"size": 0, "runtime_mappings": {**_COPIES, **_RUNTIME},
                                   "aggs": {"c": body}})["aggregations"]["c"]
        pages.append(page)
        if "after_key" not in page:
            return pages
        assert len(pages) < 20


def test_composite_over_runtime_sources(es: httpx.Client, index_name: str) -> None:
    """ES's composite examples (terms, histogram and date_histogram sources, ``order``,
    ``missing_bucket``, paging with ``after``) with runtime sources, alone or beside mapped
    ones, with sub-aggregations: page for page the mapped fields' answer."""
    _requests(es, index_name)
    sources = [{"host": {"terms": {"field": "host", "order": "desc"}}},
               {"ip": {"terms": {"field": "ip", "missing_bucket": True}}},
               {"kb": {"histogram": {"field": "bytes", "interval": 100,
                                     "missing_bucket": True}}}]
    subs = {"weight": {"max": {"field": "weight"}}}
    native = _pages(es, index_name, {"size": 2, "sources": sources}, subs)
    assert len(native) == 4 and native[0]["buckets"][0] == {
        "key": {"host": "web-3", "ip": None, "kb": 0.0}, "doc_count": 1,
        "weight": {"value": 3.0}}
    for runtime in ({"host", "ip", "kb"}, {"ip"}, {"host", "kb"}):
        copied = [{name: {kind: {**body, "field": "rt_" + body["field"]}
                          if name in runtime else body for kind, body in spec.items()}}
                  for source in sources for name, spec in source.items()]
        assert _pages(es, index_name, {"size": 2, "sources": copied}, subs) == native, runtime
    # the docs' example data: a runtime date and keyword (the mapping's), date_histogram
    _measures(es, f"{index_name}-m", _MAPPING)

    def days(field: str, model: str) -> list[dict[str, Any]]:
        return _pages(es, f"{index_name}-m", {"size": 3, "sources": [
            {"day": {"date_histogram": {"field": field, "calendar_interval": "day",
                                        "format": "yyyy-MM-dd"}}},
            {"model": {"terms": {"field": model}}}]})

    assert days("day", "model") == days("@timestamp", "model_number")
    week = _pages(es, f"{index_name}-m", {"size": 10, "sources": [
        {"dow": {"terms": {"field": "day_of_week"}}}]})
    assert [b["key"]["dow"] for b in week[0]["buckets"]] == [
        "Friday", "Monday", "Saturday", "Sunday", "Thursday", "Tuesday"]
