"""Field types and mapping parameters, checked through what indexing accepts and refuses."""

from __future__ import annotations

import httpx

MAPPING = {"properties": {
    "status": {"type": "keyword", "ignore_above": 5},
    "host": {"type": "keyword", "normalizer": "lowercase"},
    "message": {"type": "text", "fields": {"raw": {"type": "keyword"}}},
    "bytes": {"type": "long"}, "port": {"type": "integer"}, "code": {"type": "short"},
    "flag": {"type": "byte"}, "ratio": {"type": "double"}, "load": {"type": "float"},
    "temp": {"type": "half_float"}, "price": {"type": "scaled_float", "scaling_factor": 100},
    "ok": {"type": "boolean"},
    "iso": {"type": "date"},
    "ms": {"type": "date", "format": "epoch_millis"},
    "sec": {"type": "date", "format": "epoch_second"},
    "local": {"type": "date", "format": "yyyy-MM-dd HH:mm:ss||strict_date_optional_time"},
    "client": {"type": "ip"},
    "where": {"type": "geo_point"},
    "http": {"properties": {"request": {"properties": {"method": {"type": "keyword"}}}}},
    "blob": {"type": "object", "enabled": False},
    "note": {"type": "keyword", "index": False},
    "level": {"type": "keyword", "null_value": "NONE"},
}}

GOOD = {
    "status": "toolongvalue", "host": "WEB-01", "message": "GET /index.html 200",
    "bytes": 1234, "port": "8080", "code": 404, "flag": 1, "ratio": 0.25, "load": "1.5",
    "temp": 21.5, "price": 9.99, "ok": "true", "iso": "2024-01-01T10:00:00.123Z",
    "ms": 1704103200123, "sec": 1704103200, "local": "2024-01-01 10:00:00",
    "client": "2001:db8::1", "where": {"lat": 52.37, "lon": 4.89},
    "http.request.method": "GET", "blob": {"anything": [1, {"x": "y"}]}, "note": "free",
    "level": None,
}


def test_get_mappings_is_get_mapping(es: httpx.Client, index_name: str) -> None:
    """ES registers ``_mappings`` beside ``_mapping`` for reading too."""
    assert es.put(f"/{index_name}", json={"mappings": MAPPING}).status_code == 200
    one = es.get(f"/{index_name}/_mapping").json()
    assert es.get(f"/{index_name}/_mappings").json() == one
    assert es.get("/_mappings").json()[index_name] == one[index_name]


def test_every_type_accepts_good_values(es: httpx.Client, index_name: str) -> None:
    assert es.put(f"/{index_name}", json={"mappings": MAPPING}).status_code == 200
    response = es.put(f"/{index_name}/_doc/1?refresh=true", json=GOOD)
    assert response.status_code == 201, response.text
    assert es.get(f"/{index_name}/_doc/1").json()["_source"] == GOOD
    for where in ("52.37,4.89", [4.89, 52.37]):
        assert es.post(f"/{index_name}/_doc", json={"where": where}).status_code == 201
    mapping = es.get(f"/{index_name}/_mapping").json()[index_name]["mappings"]
    assert mapping["properties"]["http"] == MAPPING["properties"]["http"]
    assert mapping["properties"]["blob"] == {"type": "object", "enabled": False}


def test_each_type_refuses_what_does_not_fit(es: httpx.Client, index_name: str) -> None:
    es.put(f"/{index_name}", json={"mappings": MAPPING})
    bad_values = {
        "bytes": "lots", "ratio": "half", "ok": "maybe", "iso": "2024-13-45",
        "ms": "yesterday", "local": "01/01/2024", "client": "not-an-ip",
        "where": {"lat": 100, "lon": 0}, "http": "flat",
    }
    for field, value in bad_values.items():
        response = es.post(f"/{index_name}/_doc", json={field: value})
        assert response.status_code == 400, (field, response.text)
        assert response.json()["error"]["type"] == "mapper_parsing_exception", field


def test_bulk_with_a_bad_value_fails_that_item_only(es: httpx.Client, index_name: str) -> None:
    es.put(f"/{index_name}", json={"mappings": MAPPING})
    body = (b'{"index":{}}\n{"client":"10.0.0.1"}\n{"index":{}}\n{"client":"10.0.0.300"}\n'
            b'{"index":{}}\n{"iso":"2024-02-30"}\n{"index":{}}\n{"iso":"2024-02-29"}\n')
    items = es.post(f"/{index_name}/_bulk", content=body,
                    headers={"content-type": "application/x-ndjson"}).json()["items"]
    assert [i["index"]["status"] for i in items] == [201, 400, 400, 201]


def test_dates_with_dynamic_detection_and_formats(es: httpx.Client, index_name: str) -> None:
    es.put(f"/{index_name}/_doc/1", json={"a": "2024/01/02 03:04:05", "b": "2024-01-02",
                                         "c": "not a date", "d": "12345"})
    props = es.get(f"/{index_name}/_mapping").json()[index_name]["mappings"]["properties"]
    assert props["a"]["type"] == "date"
    assert props["b"]["type"] == "date"
    assert props["c"]["type"] == "text"
    assert props["d"]["type"] == "text"


def test_new_field_in_later_document_extends_mapping(es: httpx.Client, index_name: str) -> None:
    es.put(f"/{index_name}/_doc/1?refresh=true", json={"a": 1})
    es.put(f"/{index_name}/_doc/2?refresh=true", json={"a": 2, "b": "x"})
    es.put(f"/{index_name}/_doc/1", json={"a": 3, "b": "y"})
    props = es.get(f"/{index_name}/_mapping").json()[index_name]["mappings"]["properties"]
    assert set(props) == {"a", "b"}
    assert es.get(f"/{index_name}/_doc/1").json()["_source"] == {"a": 3, "b": "y"}
    es.post(f"/{index_name}/_refresh")
    count = es.get(f"/_cat/count/{index_name}?format=json").json()[0]["count"]
    assert count == "2"
