"""Node tools users already run: the OpenSearch JavaScript client and elasticdump.

Both are installed into tests/node by scripts/setup-test-env.sh (pinned by its package-lock).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest

from conftest import Server

NODE_DIR = Path(__file__).parent / "node"
ELASTICDUMP = NODE_DIR / "node_modules" / ".bin" / "elasticdump"


@pytest.fixture(scope="module", autouse=True)
def node_modules() -> None:
    if not ELASTICDUMP.exists():
        pytest.fail("tests/node/node_modules is missing: run scripts/setup-test-env.sh")


def _run(*command: str | Path) -> str:
    result = subprocess.run([str(c) for c in command], cwd=NODE_DIR, capture_output=True,
                            text=True, timeout=180)
    assert result.returncode == 0, f"{command[0]} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _opensearch_js(server: Server, index: str, mode: str) -> dict:
    return json.loads(_run("node", "opensearch_client.js", server.url, index, mode))


def test_opensearch_js_bulk_helper(server: Server, index_name: str) -> None:
    result = _opensearch_js(server, index_name, "bulk")
    assert result["stats"]["total"] == 200
    assert result["stats"]["successful"] == 200 and result["stats"]["failed"] == 0
    assert result["count"] == "200" and result["single"] == "created"


def test_opensearch_js_search(server: Server, index_name: str) -> None:
    _opensearch_js(server, index_name, "bulk")
    assert _opensearch_js(server, index_name, "search") == {"total": 100, "hits": 5,
                                                            "scrolled": 201}


def _seed(es: httpx.Client, index: str, count: int) -> dict[str, dict]:
    es.put(f"/{index}", json={"mappings": {"properties": {
        "host": {"type": "keyword"}, "bytes": {"type": "long"}, "msg": {"type": "text"}}}})
    docs = {str(i): {"host": f"h{i % 4}", "bytes": i * 10, "msg": f"line {i}"}
            for i in range(count)}
    body = "".join(json.dumps({"index": {"_id": k}}) + "\n" + json.dumps(v) + "\n"
                   for k, v in docs.items())
    assert not es.post(f"/{index}/_bulk?refresh=true", content=body,
                       headers={"content-type": "application/x-ndjson"}).json()["errors"]
    return docs


def _sources(es: httpx.Client, index: str, ids: list[str]) -> dict[str, dict]:
    found = es.post(f"/{index}/_mget", json={"ids": ids}).json()["docs"]
    return {d["_id"]: d["_source"] for d in found if d.get("found")}


def test_elasticdump_mapping_round_trip_and_data_import(es: httpx.Client, server: Server,
                                                        index_name: str,
                                                        tmp_path: Path) -> None:
    docs = _seed(es, index_name, 25)
    mapping_file = tmp_path / "mapping.json"
    _run(ELASTICDUMP, f"--input={server.url}/{index_name}", f"--output={mapping_file}",
         "--type=mapping")
    target = f"{index_name}-copy"
    _run(ELASTICDUMP, f"--input={mapping_file}", f"--output={server.url}/{target}",
         "--type=mapping")
    assert es.get(f"/{target}/_mapping").json()[target] == \
        es.get(f"/{index_name}/_mapping").json()[index_name]

    # A data file in elasticdump's own format (what its export writes), imported with defaults.
    data_file = tmp_path / "data.json"
    data_file.write_text("".join(
        json.dumps({"_index": index_name, "_type": "_doc", "_id": k, "_score": 1,
                    "_source": v}) + "\n" for k, v in docs.items()))
    _run(ELASTICDUMP, f"--input={data_file}", f"--output={server.url}/{target}")
    assert es.get(f"/_cat/count/{target}?format=json").json()[0]["count"] == "25"
    assert _sources(es, target, list(docs)) == docs


def test_elasticdump_export_and_import_with_defaults(es: httpx.Client, server: Server,
                                                     index_name: str, tmp_path: Path) -> None:
    docs = _seed(es, index_name, 120)
    dump = tmp_path / "dump.json"
    _run(ELASTICDUMP, f"--input={server.url}/{index_name}", f"--output={dump}")
    exported = [json.loads(line) for line in dump.read_text().splitlines()]
    assert {e["_id"]: e["_source"] for e in exported} == docs
    target = f"{index_name}-restored"
    _run(ELASTICDUMP, f"--input={dump}", f"--output={server.url}/{target}")
    assert _sources(es, target, list(docs)) == docs
