"""Shared data for the search tests: a small web-log index with every field type."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

WEB_MAPPING: dict[str, Any] = {"properties": {
    "@timestamp": {"type": "date"},
    "message": {"type": "text", "fields": {"keyword": {"type": "keyword"}}},
    "action": {"type": "keyword"},
    "country": {"type": "keyword", "normalizer": "lowercase"},
    "status": {"type": "integer"},
    "bytes": {"type": "long"},
    "latency": {"type": "double"},
    "client_ip": {"type": "ip"},
    "secure": {"type": "boolean"},
    "tags": {"type": "keyword"},
    "required": {"type": "long"},
    "user": {"properties": {"name": {"type": "keyword"}, "age": {"type": "integer"}}},
}}

WEB_DOCS: dict[str, dict[str, Any]] = {
    "1": {"@timestamp": "2024-01-01T00:00:00Z", "action": "ALLOW", "country": "US",
          "message": "GET /index.html Firefox Linux quick brown fox", "status": 200,
          "bytes": 1000, "latency": 0.5, "client_ip": "10.0.0.1", "secure": True,
          "tags": ["web", "prod"], "required": 2, "user": {"name": "alice", "age": 30}},
    "2": {"@timestamp": "2024-01-01T06:00:00Z", "action": "BLOCK", "country": "DE",
          "message": "POST /login Chrome Windows brown dog", "status": 403, "bytes": 200,
          "latency": 1.5, "client_ip": "10.0.0.2", "secure": False, "tags": ["web"],
          "required": 1, "user": {"name": "bob", "age": 40}},
    "3": {"@timestamp": "2024-01-02T00:00:00Z", "action": "BLOCK", "country": "us",
          "message": "GET /admin Firefox Windows quick fox jumps", "status": 403,
          "bytes": 50, "latency": 2.0, "client_ip": "192.168.1.10", "secure": True,
          "tags": ["admin"], "required": 3, "user": {"name": "carol", "age": 25}},
    "4": {"@timestamp": "2024-01-02T12:00:00Z", "action": "ALLOW", "country": "FR",
          "message": "GET /api/v1/items curl quick", "status": 200, "bytes": 5000,
          "latency": 0.1, "client_ip": "2001:db8::1", "secure": True, "tags": ["api", "prod"],
          "user": {"name": "dave", "age": 35}},
    "5": {"@timestamp": "2024-01-03T00:00:00Z", "action": "COUNT", "country": "US",
          "message": "DELETE /api/v1/items python-requests", "status": 500, "bytes": 0,
          "latency": 3.5, "client_ip": "10.1.2.3", "secure": False, "tags": [],
          "user": {"name": "eve", "age": 50}},
    "6": {"@timestamp": "2024-01-03T23:59:59.999Z", "action": "ALLOW", "country": "JP",
          "message": "the lazy dog sleeps", "status": 301, "bytes": 123,
          "user": {"name": "frank"}},
    "7": {"action": "BLOCK", "message": "Quick Foxes"},
    "8": {"other": "unmapped here"},
}


def ndjson(*lines: object) -> bytes:
    return b"".join(orjson.dumps(line) + b"\n" for line in lines)


def load(es: httpx.Client, index: str, docs: dict[str, dict[str, Any]],
         mappings: dict[str, Any] | None = None, settings: dict[str, Any] | None = None) -> None:
    """Create ``index`` and bulk-load ``docs`` by id, refreshed."""
    body: dict[str, Any] = {}
    if mappings is not None:
        body["mappings"] = mappings
    if settings is not None:
        body["settings"] = settings
    created = es.put(f"/{index}", json=body)
    assert created.status_code == 200, created.text
    lines: list[object] = []
    for doc_id, doc in docs.items():
        lines += [{"index": {"_index": index, "_id": doc_id}}, doc]
    if lines:
        response = es.post("/_bulk?refresh=true", content=ndjson(*lines),
                           headers={"content-type": "application/x-ndjson"})
        assert response.status_code == 200 and not response.json()["errors"], response.text


def ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [hit["_id"] for hit in response.json()["hits"]["hits"]]
