"""The other helpers' processor families (grok, date, geoip, user_agent, convert) through
the pipeline runner: an access-log pipeline over HTTP, run in-process and in the ingest
workers, storing the same documents."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from conftest import Server

NDJSON = {"content-type": "application/x-ndjson"}
ACCESS_LOG = {"description": "Apache combined log lines", "processors": [
    {"grok": {"field": "message", "patterns": ["%{COMBINEDAPACHELOG}"]}},
    {"date": {"field": "timestamp", "formats": ["dd/MMM/yyyy:HH:mm:ss Z"]}},
    {"geoip": {"field": "clientip", "ignore_missing": True}},
    {"user_agent": {"field": "agent"}},
    {"convert": {"field": "bytes", "type": "long", "ignore_failure": True}},
    {"remove": {"field": ["message", "timestamp"]}}],
    "on_failure": [{"set": {"field": "error.message", "value": "{{_ingest.on_failure_message}}"}}]}
AGENTS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/120.0.0.0 Safari/537.36",
          "curl/8.4.0"]


def lines(count: int) -> bytes:
    out = []
    for n in range(count):
        ip = ["8.8.8.8", "81.2.69.160", "10.0.0.1"][n % 3]
        message = (f'{ip} - - [04/Dec/2026:10:{n % 60:02d}:00 +0000] "GET /p/{n} HTTP/1.1" '
                   f'200 {n if n % 7 else "-"} "-" "{AGENTS[n % 2]}"')
        if n % 50 == 13:
            message = "not an access log line"
        out += [orjson.dumps({"index": {"_id": str(n)}}), orjson.dumps({"message": message})]
    return b"\n".join(out) + b"\n"


def load(server: Server) -> dict[str, Any]:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        assert client.put("/_ingest/pipeline/access", json=ACCESS_LOG).status_code == 200
        response = client.post("/weblogs/_bulk?pipeline=access&refresh=true",
                               content=lines(200), headers=NDJSON)
        assert response.status_code == 200 and not response.json()["errors"], response.text
        hits = client.post("/weblogs/_search", json={"size": 200, "sort": ["_doc"]}).json()
        mapping = client.get("/weblogs/_mapping").json()["weblogs"]["mappings"]["properties"]
        return {"docs": {hit["_id"]: hit["_source"] for hit in hits["hits"]["hits"]},
                "timestamp_type": mapping["@timestamp"]["type"]}


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    pair = (Server(tmp_path / "w" / "data", "--ingest-workers", "1"),
            Server(tmp_path / "p" / "data", "--ingest-workers", "0"))
    for server in pair:
        server.data_dir.parent.mkdir(parents=True)
        server.start()
    yield pair
    for server in pair:
        server.kill()


def test_an_access_log_pipeline_in_workers_and_in_process(servers: tuple[Server, Server]
                                                          ) -> None:
    in_workers, in_process = (load(server) for server in servers)
    assert in_workers == in_process
    docs = in_workers["docs"]
    assert len(docs) == 200
    first = docs["1"]
    assert first["@timestamp"] == "2026-12-04T10:01:00.000Z"
    assert first["geoip"]["country_iso_code"] == "GB"
    assert first["geoip"]["city_name"] == "Willesden"  # the City data, in workers too
    assert first["geoip"]["location"] == {"lat": 51.5333, "lon": -0.2333}
    assert first["user_agent"]["name"] == "curl"
    assert first["bytes"] == 1
    assert docs["0"]["geoip"]["country_iso_code"] == "US"
    assert "geoip" not in docs["2"]  # a private address has no country
    assert "bytes" not in docs["7"]  # "-": convert found nothing, its failure ignored
    assert docs["13"]["error"]["message"].startswith("Provided Grok expressions do not match")
    assert in_workers["timestamp_type"] == "date"
