"""What the parser tests share: the sample files, bulking split records as ``loghaven
ingest`` does (to the rotated index, no ``?pipeline``), and reading mapping types."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx
import orjson

from loghaven.ingest.parsers import PARSERS, RecordError

SAMPLES = Path(__file__).parent / "samples"


def sample_lines(name: str) -> list[bytes]:
    return (SAMPLES / name).read_bytes().splitlines(keepends=True)


def records(parser: str, lines: Iterable[bytes]) -> list[Any]:
    return list(PARSERS[parser].records(lines))


def bulk_records(es: httpx.Client, index: str, docs: list[dict[str, Any]]) -> dict[str, Any]:
    """Index ``docs`` into ``index`` with no pipeline named, so the template's default
    pipeline runs, and refresh."""
    assert docs and not any(isinstance(doc, RecordError) for doc in docs)
    body = b"".join(orjson.dumps({"index": {"_index": index}}) + b"\n" + orjson.dumps(doc)
                    + b"\n" for doc in docs)
    response = es.post("/_bulk?refresh=true", content=body,
                       headers={"content-type": "application/x-ndjson"})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["errors"] is False, answer
    return answer


def search(es: httpx.Client, index: str, body: dict[str, Any]) -> dict[str, Any]:
    response = es.post(f"/{index}/_search", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def sources(es: httpx.Client, index: str, sort: str = "@timestamp") -> list[dict[str, Any]]:
    hits = search(es, index, {"size": 100, "sort": [{sort: "asc"}]})["hits"]["hits"]
    return [hit["_source"] for hit in hits]


def field_types(es: httpx.Client, index: str) -> dict[str, str]:
    """``{dotted path: type}`` of every leaf field in ``index``'s mapping."""
    response = es.get(f"/{index}/_mapping")
    assert response.status_code == 200, response.text
    types: dict[str, str] = {}

    def walk(properties: dict[str, Any], prefix: str) -> None:
        for name, spec in properties.items():
            if "properties" in spec:
                walk(spec["properties"], f"{prefix}{name}.")
            if "type" in spec:
                types[prefix + name] = spec["type"]

    walk(response.json()[index]["mappings"].get("properties", {}), "")
    return types


def terms(es: httpx.Client, index: str, field: str) -> dict[str, int]:
    body = {"size": 0, "aggs": {"t": {"terms": {"field": field, "size": 50}}}}
    buckets = search(es, index, body)["aggregations"]["t"]["buckets"]
    return {bucket["key"]: bucket["doc_count"] for bucket in buckets}


def count(es: httpx.Client, index: str, query: dict[str, Any]) -> int:
    return search(es, index, {"size": 0, "query": query, "track_total_hits": True}
                  )["hits"]["total"]["value"]


#: Lines of other formats every sniff must refuse.
FOREIGN = {
    "ndjson": [b'{"message": "hello", "@timestamp": "2026-11-26T10:00:00Z"}\n'],
    "clf": [b'8.8.8.8 - - [26/Nov/2026:10:15:32 +0000] "GET / HTTP/1.1" 200 512 "-" '
            b'"curl/8.5.0"\n'],
    "syslog": [b"<34>Nov 26 10:15:32 web1 sshd[4242]: Failed password for root from "
               b"203.0.113.9 port 52113 ssh2\n"],
    "alb": [b'http 2026-11-26T10:15:32.186641Z app/prod-alb/50dc6c495c0c9188 '
            b'192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 '
            b'"GET http://www.example.com:80/ HTTP/1.1" "curl/8.5.0" - - '
            b'arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/tg/73e2d6bc24d8a067 '
            b'"Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 '
            b'2026-11-26T10:15:32.186000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-"\n'],
    "cloudfront": [b"#Version: 1.0\n",
                   b"#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) "
                   b"cs-uri-stem sc-status\n"],
    "empty": [],
}
