"""Data of the dashboards tests: AWS WAF records (bench generators) sent through `_bulk` into
an awswaf-* index, whose template's default pipeline is the aws_waf parser, and saved objects
made through the API as OpenSearch Dashboards stores them."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx

from loghaven.bench.generators import waf_logs

BASE = "/_dashboards/api/saved_objects"
XSRF = {"osd-xsrf": "true"}
INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index"
HOUR_MS = 3_600_000


def bulk(es: httpx.Client, index: str, docs: list[dict[str, Any]]) -> None:
    lines = []
    for doc in docs:
        lines += [json.dumps({"index": {"_index": index}}), json.dumps(doc)]
    answer = es.post("/_bulk?refresh=true", content="\n".join(lines) + "\n",
                     headers={"Content-Type": "application/x-ndjson"})
    assert answer.status_code == 200 and not answer.json()["errors"], answer.text[:500]


def waf_index(es: httpx.Client, prefix: str, count: int, seed: int,
              span_ms: int = 6 * HOUR_MS) -> str:
    """A new awswaf-* index holding `count` WAF records of the last `span_ms`."""
    index = f"awswaf-{prefix}{uuid.uuid4().hex[:8]}"
    bulk(es, index, list(waf_logs(count, seed=seed, end_ms=int(time.time() * 1000) - 60_000,
                                  span_ms=span_ms)))
    return index


def index_pattern(es: httpx.Client, title: str) -> str:
    id_ = f"p-{uuid.uuid4().hex[:8]}"
    made = es.post(f"{BASE}/index-pattern/{id_}", headers=XSRF,
                   json={"attributes": {"title": title, "timeFieldName": "@timestamp"}})
    assert made.status_code == 200, made.text
    return id_
