"""A node with a small AWS WAF log index, shared by the SQL service tests, and the loading
of a small index over HTTP that the API tests share.

Documents follow AWS WAF's log shape (``timestamp`` in epoch millis, ``httpRequest.*``),
with Athena's partition columns ``year``/``month`` as keywords, generated from a fixed seed
so the tests compute every expected answer from the same documents.
"""

from __future__ import annotations

import random
from typing import Any

import httpx
import orjson

from loghaven.config import Config
from loghaven.engine.documents_state import WriteRequest
from loghaven.node import Node

WAF_MAPPING = {"properties": {
    "timestamp": {"type": "long"},
    "@timestamp": {"type": "date"},
    "action": {"type": "keyword"},
    "terminatingRuleId": {"type": "keyword"},
    "bytes": {"type": "long"},
    "latency": {"type": "double"},
    "blocked": {"type": "boolean"},
    "year": {"type": "keyword"},
    "month": {"type": "keyword"},
    "message": {"type": "text", "fields": {"keyword": {"type": "keyword"}}},
    "httpRequest": {"properties": {
        "clientIp": {"type": "keyword"},
        "country": {"type": "keyword"},
        "uri": {"type": "keyword"},
        "httpMethod": {"type": "keyword"}}}}}

COUNTRIES = ["US", "DE", "FR", "CN", "BR", "IN"]
START_MS = 1_543_622_400_000  # 2018-12-01T00:00:00Z


def waf_documents(count: int = 400, seed: int = 21) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    ips = [f"10.0.{rng.randrange(4)}.{rng.randrange(30)}" for _ in range(40)]
    docs = []
    for n in range(count):
        millis = START_MS + n * 3_600_000 * 3 + rng.randrange(3_600_000)
        month = "12" if millis < 1_546_300_800_000 else "01"
        action = rng.choice(["ALLOW", "ALLOW", "BLOCK", "COUNT"])
        doc: dict[str, Any] = {
            "timestamp": millis,
            "@timestamp": millis,
            "action": action,
            "terminatingRuleId": "Default_Action" if action == "ALLOW" else f"rule-{n % 5}",
            "bytes": rng.randrange(100, 5000),
            "latency": round(rng.random() * 100, 3),
            "blocked": action == "BLOCK",
            "year": "2018" if month == "12" else "2019",
            "month": month,
            "message": f"request {n} from {rng.choice(COUNTRIES)}",
            "httpRequest": {"clientIp": rng.choice(ips), "country": rng.choice(COUNTRIES),
                            "uri": f"/page/{n % 7}",
                            "httpMethod": rng.choice(["GET", "POST"])}}
        if n % 10 == 0:
            del doc["bytes"]
        docs.append(doc)
    return docs


def make_node(folder: Any, indices: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]]
              ) -> Node:
    node = Node(Config(data_dir=folder, ingest_workers=0))
    for name, (mapping, docs) in indices.items():
        index = node.catalog.create_index(name, {"mappings": mapping})
        index.write([WriteRequest("index", doc_id=str(i), source=orjson.dumps(d), parsed=d)
                     for i, d in enumerate(docs)])
        index.refresh()
    return node


def load_over_http(client: httpx.Client, index: str, mapping: dict[str, Any],
                   docs: list[dict[str, Any]]) -> None:
    """Create ``index`` with ``mapping`` and bulk-load ``docs``, each under its ``n`` as id."""
    assert client.put(f"/{index}", json={"mappings": mapping}).status_code == 200
    lines = b"".join(orjson.dumps({"index": {"_id": str(d["n"])}}) + b"\n" + orjson.dumps(d)
                     + b"\n" for d in docs)
    bulk = client.post(f"/{index}/_bulk?refresh=true", content=lines,
                       headers={"content-type": "application/x-ndjson"})
    assert bulk.status_code == 200 and not bulk.json()["errors"], bulk.text
