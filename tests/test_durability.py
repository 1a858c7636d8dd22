"""Acknowledged writes survive kill -9; restarts keep everything; concurrent writers are safe."""

from __future__ import annotations

import random
import threading
import time

import httpx
import orjson

from conftest import Server


def _bulk_body(index: str, ids: list[str]) -> bytes:
    lines = []
    for doc_id in ids:
        lines.append(orjson.dumps({"index": {"_index": index, "_id": doc_id}}))
        lines.append(orjson.dumps({"id": doc_id, "msg": f"event {doc_id}", "n": len(doc_id)}))
    return b"\n".join(lines) + b"\n"


def _stream_until_killed(server: Server, index: str, round_no: int, acked: set[str],
                         attempted: set[str], lock: threading.Lock) -> None:
    """Two writer threads send bulks until the server dies under them."""
    stop = threading.Event()

    def writer(worker: int) -> None:
        batch = 0
        with httpx.Client(base_url=server.url, timeout=10) as client:
            while not stop.is_set():
                ids = [f"r{round_no}-w{worker}-b{batch}-{i}" for i in range(50)]
                batch += 1
                with lock:
                    attempted.update(ids)
                try:
                    response = client.post("/_bulk", content=_bulk_body(index, ids),
                                           headers={"content-type": "application/x-ndjson"})
                except httpx.HTTPError:
                    return
                if response.status_code == 200:
                    for item in response.json()["items"]:
                        result = item["index"]
                        if result["status"] in (200, 201):
                            with lock:
                                acked.add(result["_id"])

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(random.uniform(0.3, 1.5))
    server.kill()
    stop.set()
    for thread in threads:
        thread.join(15)


def _found_ids(client: httpx.Client, index: str, ids: list[str]) -> set[str]:
    found = set()
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        docs = client.post(f"/{index}/_mget", json={"ids": chunk}).json()["docs"]
        found.update(d["_id"] for d in docs if d.get("found"))
    return found


def test_kill_minus_nine_loses_no_acknowledged_document(fresh_server: Server) -> None:
    index = "durable"
    acked: set[str] = set()
    attempted: set[str] = set()
    lock = threading.Lock()
    random.seed(7)
    for round_no in range(3):
        _stream_until_killed(fresh_server, index, round_no, acked, attempted, lock)
        fresh_server.start()
    assert len(acked) > 500, "the writers should have been acknowledged many documents"
    with httpx.Client(base_url=fresh_server.url, timeout=30) as client:
        client.post(f"/{index}/_refresh")
        found = _found_ids(client, index, sorted(attempted))
        assert acked <= found, f"lost {len(acked - found)} acknowledged documents"
        count = int(client.get(f"/_cat/count/{index}?format=json").json()[0]["count"])
        assert count == len(found), "a replayed document was indexed twice"


def test_restart_keeps_indices_mappings_templates_aliases_and_versions(
        fresh_server: Server) -> None:
    with httpx.Client(base_url=fresh_server.url, timeout=30) as client:
        client.put("/_template/keep", json={"index_patterns": ["keep-*"],
                                            "mappings": {"properties": {"k": {"type": "keyword"}}}})
        client.put("/keep-1", json={"aliases": {"keep-alias": {}}})
        client.put("/keep-1/_doc/a", json={"k": "x", "n": 1})
        client.put("/keep-1/_doc/a", json={"k": "y", "n": 2})
        client.put("/keep-1/_doc/b?refresh=true", json={"k": "z"})
        client.put("/keep-1/_doc/c", json={"k": "unrefreshed"})
    fresh_server.restart()
    with httpx.Client(base_url=fresh_server.url, timeout=30) as client:
        assert client.get("/_template/keep").json()["keep"]["index_patterns"] == ["keep-*"]
        body = client.get("/keep-1").json()["keep-1"]
        assert body["aliases"] == {"keep-alias": {}}
        assert body["mappings"]["properties"]["k"] == {"type": "keyword"}
        doc = client.get("/keep-1/_doc/a").json()
        assert doc["_version"] == 2 and doc["_source"] == {"k": "y", "n": 2}
        assert client.get("/keep-1/_doc/c").json()["_source"] == {"k": "unrefreshed"}
        assert client.put("/keep-1/_doc/a", json={"k": "w"}).json()["_version"] == 3
        assert client.get("/keep-alias/_doc/b").json()["found"]


def test_concurrent_writers_and_readers(es: httpx.Client, server: Server,
                                        index_name: str) -> None:
    """Several threads update one counter document with if_seq_no; no update is lost."""
    es.put(f"/{index_name}/_doc/counter", json={"n": 0})
    errors: list[str] = []

    def increment(times: int) -> None:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            done = 0
            while done < times:
                current = client.get(f"/{index_name}/_doc/counter").json()
                response = client.put(
                    f"/{index_name}/_doc/counter?if_seq_no={current['_seq_no']}"
                    f"&if_primary_term={current['_primary_term']}",
                    json={"n": current["_source"]["n"] + 1})
                if response.status_code in (200, 201):
                    done += 1
                elif response.status_code != 409:
                    errors.append(response.text)
                    return

    def bulk_writer(worker: int) -> None:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for batch in range(10):
                ids = [f"w{worker}-{batch}-{i}" for i in range(100)]
                response = client.post("/_bulk", content=_bulk_body(index_name, ids),
                                       headers={"content-type": "application/x-ndjson"})
                if response.status_code != 200 or response.json()["errors"]:
                    errors.append(response.text[:500])

    threads = [threading.Thread(target=increment, args=(20,)) for _ in range(3)]
    threads += [threading.Thread(target=bulk_writer, args=(w,)) for w in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors
    assert es.get(f"/{index_name}/_doc/counter").json()["_source"]["n"] == 60
    es.post(f"/{index_name}/_refresh")
    count = int(es.get(f"/_cat/count/{index_name}?format=json").json()[0]["count"])
    assert count == 2001
