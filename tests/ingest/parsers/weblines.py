"""What the line-parser tests share: the samples, a file's records and head as
``loghaven ingest`` gives them, and loading records over HTTP with no pipeline named, so the
installed template's default pipeline runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson

from loghaven.ingest.parsers import PARSERS

SAMPLES = Path(__file__).parent / "samples"
NDJSON = {"content-type": "application/x-ndjson"}
OTHER_SAMPLES = ("plain.ndjson", "array.json", "vpcflow.log")


def raw_lines(sample: str) -> list[bytes]:
    return (SAMPLES / sample).read_bytes().splitlines(keepends=True)


def records(parser: str, sample: str) -> list[dict[str, Any]]:
    found = list(PARSERS[parser].records(raw_lines(sample)))
    assert all(isinstance(record, dict) for record in found)
    return found  # type: ignore[return-value]


def sniffers(sample: str, name: str | None = None) -> list[str]:
    """The parsers whose sniff accepts the sample (under its own name unless given)."""
    head = raw_lines(sample)[:50]
    return [p.name for p in PARSERS.values() if p.sniff(name or sample, head)]


def load(es: httpx.Client, index: str, docs: list[dict[str, Any]]
         ) -> list[dict[str, Any]]:
    """Bulk ``docs`` into ``index`` with no pipeline named; the indexed sources by id."""
    body = b"".join(orjson.dumps({"index": {"_id": str(i)}}) + b"\n" + orjson.dumps(doc)
                    + b"\n" for i, doc in enumerate(docs))
    response = es.post(f"/{index}/_bulk?refresh=true", content=body, headers=NDJSON)
    assert response.status_code == 200, response.text
    assert response.json()["errors"] is False, response.text
    found = es.post(f"/{index}/_search", json={"size": 100})
    hits = found.json()["hits"]["hits"]
    assert len(hits) == len(docs)
    return [hit["_source"] for hit in sorted(hits, key=lambda hit: int(hit["_id"]))]


def field_types(es: httpx.Client, index: str) -> dict[str, str]:
    """``GET <index>/_mapping`` flattened to ``{"source.ip": "ip", ...}``."""
    mapping = es.get(f"/{index}/_mapping").json()[index]["mappings"]
    types: dict[str, str] = {}

    def walk(properties: dict[str, Any], prefix: str) -> None:
        for name, spec in properties.items():
            if "properties" in spec:
                walk(spec["properties"], f"{prefix}{name}.")
            else:
                types[f"{prefix}{name}"] = spec["type"]

    walk(mapping.get("properties", {}), "")
    return types


def search(es: httpx.Client, index: str, body: dict[str, Any]) -> dict[str, Any]:
    response = es.post(f"/{index}/_search", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def terms(es: httpx.Client, index: str, field: str) -> dict[Any, int]:
    answer = search(es, index, {"size": 0, "aggs": {"t": {"terms": {"field": field}}}})
    return {b["key"]: b["doc_count"] for b in answer["aggregations"]["t"]["buckets"]}
