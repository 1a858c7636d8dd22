"""Bulk documents prepared by ingest worker processes: same answers, nothing lost, no orphans."""

from __future__ import annotations

import base64
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from conftest import Server

NDJSON = {"content-type": "application/x-ndjson"}
MAPPING = {"properties": {"msg": {"type": "text"}, "status": {"type": "long"},
                          "client": {"type": "ip"}, "@timestamp": {"type": "date"}}}


def bulk_body(first: int, count: int) -> bytes:
    """``count`` index actions: mostly good documents, and every kind of trouble among them."""
    lines = []
    for i in range(first, first + count):
        action: dict[str, Any] = {"index": {"_id": f"d{i}"}}
        doc: dict[str, Any] = {"msg": f"GET /index.html from 10.0.0.{i % 250}",
                               "status": 200 + i % 5, "client": f"10.1.{i % 200}.{i % 250}",
                               "@timestamp": 1_700_000_000_000 + i * 1000}
        if i % 10 == 5:
            doc["status"] = "not-a-number"  # does not fit its field
        elif i % 10 == 6:
            doc["client"] = "10.1.999.1"  # only tantivy sees this is no IP address
        elif i % 10 == 7:
            doc[f"extra_{i % 3}"] = "new field"  # dynamic mapping
        elif i % 10 == 9:
            action = {"index": {"_id": f"d{i - 1}"}}  # the same id again: an update
        source = b'{"msg": "broken' if i % 10 == 3 else orjson.dumps(doc)  # 3: not JSON
        lines += [orjson.dumps(action), source]
    return b"\n".join(lines) + b"\n"


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def worker_pids(server: Server) -> list[int]:
    """The server's spawned worker processes (multiprocessing's resource tracker aside)."""
    assert server.process is not None
    pids = []
    for pid in children(server.process.pid):
        try:
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                pids.append(pid)
        except OSError:
            continue
    return pids


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    with_workers = Server(tmp_path / "a" / "data", "--ingest-workers", "1")
    in_process = Server(tmp_path / "b" / "data", "--ingest-workers", "0")
    for server in (with_workers, in_process):
        server.data_dir.parent.mkdir(parents=True)
        server.start()
    yield with_workers, in_process
    for server in (with_workers, in_process):
        server.kill()


def run(server: Server, index: str) -> dict[str, Any]:
    """Create ``index``, bulk-load it twice, and read back what a user would look at."""
    with httpx.Client(base_url=server.url, timeout=60) as client:
        assert client.put(f"/{index}", json={"mappings": MAPPING}).status_code == 200
        items = []
        for first in (0, 300):
            response = client.post(f"/{index}/_bulk", content=bulk_body(first, 300),
                                   headers=NDJSON)
            assert response.status_code == 200
            items += response.json()["items"]
        client.post(f"/{index}/_refresh")
        search = client.post(f"/{index}/_search", json={
            "size": 5, "sort": [{"@timestamp": "desc"}], "query": {"match": {"msg": "10.0.0.7"}},
            "aggs": {"status": {"terms": {"field": "status"}}}}).json()
        docs = client.post(f"/{index}/_mget", json={"ids": ["d0", "d8", "d17", "d298"]}).json()
        return {"items": [{"status": i["index"]["status"], "result": i["index"].get("result"),
                           "_version": i["index"].get("_version"),
                           "_seq_no": i["index"].get("_seq_no"),
                           "error": i["index"].get("error", {}).get("reason")} for i in items],
                "hits": search["hits"], "aggs": search["aggregations"], "docs": docs["docs"],
                "mapping": client.get(f"/{index}/_mapping").json()[index],
                "count": client.get(f"/{index}/_count").json()["count"]}


def test_workers_answer_exactly_as_in_process(pair: tuple[Server, Server]) -> None:
    with_workers, in_process = pair
    prepared = run(with_workers, "logs")
    assert worker_pids(with_workers), "the bulk requests were large enough to start a worker"
    assert not worker_pids(in_process)
    assert prepared == run(in_process, "logs")
    statuses = {item["status"] for item in prepared["items"]}
    assert statuses == {200, 201, 400}
    assert "extra_1" in prepared["mapping"]["mappings"]["properties"]
    assert prepared["count"] == 600 - 60 * 3 - 60  # broken, unfitting, no IP; 60 updates


def test_documents_without_ids_answer_as_in_process(pair: tuple[Server, Server]) -> None:
    """What log shippers send (no ids, nothing to check) takes the engine's append path when
    workers prepared it: the same results, versions, sequence numbers and errors as one by
    one in-process; each id readable at once; a value only tantivy refuses fails alone."""
    lines = []
    for i in range(600):
        client_ip = "10.1.999.1" if i % 10 == 6 else f"10.1.{i % 200}.{i % 250}"
        lines += [b'{"index":{}}', orjson.dumps({
            "msg": f"GET /{i}", "status": 200 + i % 5, "client": client_ip,
            "@timestamp": 1_700_000_000_000 + i})]
    body = b"\n".join(lines) + b"\n"
    answers = []
    for server in pair:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            assert client.put("/shipped", json={"mappings": MAPPING}).status_code == 200
            items = [item["index"] for item in client.post(
                "/shipped/_bulk", content=body, headers=NDJSON).json()["items"]]
            created = [item for item in items if item["status"] == 201]
            for item in created[::97]:
                got = client.get(f"/shipped/_doc/{item['_id']}").json()
                assert got["found"] and got["_version"] == 1
                assert got["_seq_no"] == item["_seq_no"]
            client.post("/shipped/_refresh")
            answers.append({
                "items": [(item["status"], item.get("result"), item.get("_version"),
                           item.get("_seq_no"), item.get("error", {}).get("type"))
                          for item in items],
                "ids": len({item["_id"] for item in created}),
                "count": client.get("/shipped/_count").json()["count"],
                "hits": client.post("/shipped/_search", json={
                    "query": {"term": {"client": "10.1.7.7"}}}).json()["hits"]["total"]})
    assert worker_pids(pair[0]) and answers[0] == answers[1]
    assert answers[0]["count"] == answers[0]["ids"] == 540
    statuses = [status for status, *_ in answers[0]["items"]]
    assert statuses == [400 if i % 10 == 6 else 201 for i in range(600)]
    assert answers[0]["items"][6][4] == "mapper_parsing_exception"
    assert {version for _, _, version, *_ in answers[0]["items"] if version} == {1}


def test_appended_documents_are_found_by_id_before_any_refresh(
        pair: tuple[Server, Server]) -> None:
    """Appends with generated ids stay out of the live map (Elasticsearch's unsafe version
    map); a write or get by one of those ids before any refresh still finds the document:
    an update makes version 2, a create conflicts, a delete deletes, an index replaces."""
    lines = []
    for i in range(200):
        lines += [b'{"index":{}}', orjson.dumps({"msg": f"GET /{i}", "status": 200})]
    answers = []
    for server in pair:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            assert client.put("/appended", json={
                "settings": {"index.refresh_interval": "-1"},
                "mappings": MAPPING}).status_code == 200
            ids = [item["index"]["_id"] for item in client.post(
                "/appended/_bulk", content=b"\n".join(lines) + b"\n",
                headers=NDJSON).json()["items"]]
            actions = [({"update": {"_id": ids[0]}}, {"doc": {"status": 404}}),
                       ({"create": {"_id": ids[1]}}, {"msg": "again"}),
                       ({"delete": {"_id": ids[2]}}, None),
                       ({"index": {"_id": ids[3]}}, {"msg": "replaced"})]
            body = b"".join(orjson.dumps(action) + b"\n"
                            + (orjson.dumps(doc) + b"\n" if doc else b"")
                            for action, doc in actions)
            items = client.post("/appended/_bulk", content=body, headers=NDJSON).json()["items"]
            got = client.get(f"/appended/_doc/{ids[4]}").json()
            updated = client.get(f"/appended/_doc/{ids[0]}").json()
            client.post("/appended/_refresh")
            answers.append({
                "items": [(kind, item["status"], item.get("result"), item.get("_version"))
                          for entry in items for kind, item in entry.items()],
                "got": (got["found"], got["_version"], got["_source"]["msg"]),
                "updated": updated["_source"]["status"],
                "count": client.get("/appended/_count").json()["count"]})
    assert worker_pids(pair[0]) and answers[0] == answers[1]
    assert answers[0] == {
        "items": [("update", 200, "updated", 2), ("create", 409, None, None),
                  ("delete", 200, "deleted", 2), ("index", 200, "updated", 2)],
        "got": (True, 1, "GET /4"), "updated": 404, "count": 199}


def test_appends_acknowledged_before_kill_minus_nine_are_all_there_once(
        tmp_path: Path) -> None:
    """What shippers send (no ids, prepared by a worker, left out of the live map) survives
    kill -9 of the server: every acknowledged id is found after the restart, none twice."""
    server = Server(tmp_path / "data", "--ingest-workers", "1").start()
    lines = []
    for i in range(200):
        lines += [b'{"index":{}}', orjson.dumps({"msg": f"GET /{i}", "status": 200 + i % 5})]
    body = b"\n".join(lines) + b"\n"
    acknowledged: list[str] = []
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            assert client.put("/shipped", json={  # no commit: all of it is in the log only
                "settings": {"index.refresh_interval": "-1"},
                "mappings": MAPPING}).status_code == 200
            for _ in range(10):
                items = client.post("/shipped/_bulk", content=body,
                                    headers=NDJSON).json()["items"]
                acknowledged += [item["index"]["_id"] for item in items
                                 if item["index"]["status"] == 201]
            assert worker_pids(server)
        server.kill()
        server.start()
        with httpx.Client(base_url=server.url, timeout=60) as client:
            found = [doc["_id"] for doc in client.post(
                "/shipped/_mget", json={"ids": acknowledged}).json()["docs"] if doc["found"]]
            client.post("/shipped/_refresh")
            count = client.get("/shipped/_count").json()["count"]
    finally:
        server.kill()
    assert len(acknowledged) == 2000 and found == acknowledged and count == 2000


def test_a_killed_worker_loses_no_document(tmp_path: Path) -> None:
    server = Server(tmp_path / "data", "--ingest-workers", "1").start()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            body = b"".join(orjson.dumps(line) + b"\n" for i in range(500)
                            for line in ({"index": {}}, {"n": i}))
            assert not client.post("/k/_bulk", content=body, headers=NDJSON).json()["errors"]
            for pid in worker_pids(server):
                os.kill(pid, signal.SIGKILL)
            for _ in range(3):
                response = client.post("/k/_bulk", content=body, headers=NDJSON)
                assert response.status_code == 200 and not response.json()["errors"]
            client.post("/k/_refresh")
            assert client.get("/k/_count").json()["count"] == 2000
    finally:
        server.kill()


def test_serve_starts_the_workers_before_the_first_bulk_request(tmp_path: Path) -> None:
    """The first large bulk request does not wait for a process to spawn and import."""
    server = Server(tmp_path / "data", "--ingest-workers", "1").start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not worker_pids(server):
            time.sleep(0.1)
        assert len(worker_pids(server)) == 1
    finally:
        server.kill()


def test_workers_exit_when_the_server_is_killed(tmp_path: Path) -> None:
    server = Server(tmp_path / "data", "--ingest-workers", "1").start()
    with httpx.Client(base_url=server.url, timeout=60) as client:
        body = b"".join(orjson.dumps(line) + b"\n" for i in range(200)
                        for line in ({"index": {}}, {"n": i}))
        client.post("/k/_bulk", content=body, headers=NDJSON)
    workers = worker_pids(server)
    assert workers
    server.kill()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in workers):
        time.sleep(0.1)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]


def test_a_prepared_batch_unpacks_to_each_document_as_built_in_process() -> None:
    """Workers send a batch as one blob with byte offsets; text in any script must come
    back whole, and the documents a worker cannot settle must come back as None."""
    from loghaven.engine.document import DocumentBuilder
    from loghaven.engine.mapping import Mapping
    from loghaven.engine.prepare import prepare_sources, unpack
    from loghaven.engine.split import tantivy_json

    mapping = Mapping(MAPPING)
    sources = [orjson.dumps({"msg": "Grüße aus München: api.example.com", "status": 1}),
               b'{"msg": "broken',
               orjson.dumps({"msg": "東京の don't x_y", "client": "10.0.0.1"}),
               orjson.dumps({"unknown": "field"}),
               orjson.dumps({"msg": "plain", "@timestamp": 1_700_000_000_000})]
    prepared = unpack(mapping, prepare_sources(MAPPING, sources), None)
    assert [p is None for p in prepared] == [False, True, False, True, False]
    builder = DocumentBuilder(mapping)
    for source, item in zip(sources, prepared, strict=True):
        if item is None:
            continue
        flat, _ = builder.build(orjson.loads(source), "")
        bounds = builder.date_bounds(flat)
        flat["_source"] = source
        expected = orjson.loads(tantivy_json(flat))
        assert orjson.loads(item.json("id-1", 7, 2)) == {
            **expected, "_id": "id-1", "_seq_no": 7, "_version": 2}
        assert item.date_bounds == bounds


def test_a_worker_compresses_sources_with_the_dictionary_it_is_sent() -> None:
    """Once an index has its source dictionary, the workers store each source compressed
    with it (engine/sources.py), and it decompresses to the bytes as sent."""
    from loghaven.engine.mapping import Mapping
    from loghaven.engine.prepare import prepare_sources, unpack
    from loghaven.engine.sources import ZSTD_MAGIC, SourceDictionary

    sources = [orjson.dumps({"msg": f"Grüße {i} aus München", "status": i % 5})
               for i in range(200)]
    dictionary = SourceDictionary.train(sources[:100])
    assert dictionary is not None
    prepared = unpack(Mapping(MAPPING),
                      prepare_sources(MAPPING, sources[100:], dictionary.data), dictionary)
    for source, item in zip(sources[100:], prepared, strict=True):
        assert item is not None and item.dictionary is dictionary
        stored = base64.b64decode(orjson.loads(item.json("id-1", 7, 2))["_source"])
        assert stored.startswith(ZSTD_MAGIC) and len(stored) < len(source)
        assert dictionary.decompress(stored) == source


#: A pipeline with every kind of outcome: fields set, renamed, moved by a script, converted;
#: a value that does not fit the mapping, a field it lacks, a dropped and a failed document.
PIPELINE = {"processors": [
    {"set": {"field": "tag", "value": ["web", "{{status}}"]}},
    {"rename": {"field": "client", "target_field": "source.ip", "ignore_missing": True}},
    {"script": {"source": "if (ctx.msg != null) { ctx.msg = ctx.msg.toUpperCase(); }"}},
    {"convert": {"field": "status", "type": "string", "if": "ctx.status == 201"}},
    {"drop": {"if": "ctx.status == 204"}},
    {"fail": {"message": "no {{status}}", "if": "ctx.status == 203"}},
]}
PIPELINE_MAPPING = {"properties": {"msg": {"type": "text"}, "status": {"type": "long"},
                                   "source": {"properties": {"ip": {"type": "ip"}}},
                                   "tag": {"type": "keyword"}, "@timestamp": {"type": "date"}}}


def run_pipeline(server: Server) -> dict[str, Any]:
    """A mapped index whose default pipeline is :data:`PIPELINE`, bulk-loaded twice."""
    with httpx.Client(base_url=server.url, timeout=60) as client:
        assert client.put("/_ingest/pipeline/p", json=PIPELINE).status_code == 200
        assert client.put("/piped", json={"mappings": PIPELINE_MAPPING, "settings": {
            "index.default_pipeline": "p"}}).status_code == 200
        items = []
        for first in (0, 300):
            response = client.post("/piped/_bulk", content=bulk_body(first, 300),
                                   headers=NDJSON)
            assert response.status_code == 200
            items += [item["index"] for item in response.json()["items"]]
        client.post("/piped/_refresh")
        docs = client.post("/piped/_mget", json={"ids": ["d0", "d1", "d7", "d10"]}).json()
        tags = client.post("/piped/_search", json={"size": 0, "aggs": {"t": {"terms": {
            "field": "tag", "size": 20}}}}).json()["aggregations"]
        return {"items": [(i["status"], i.get("result"), i.get("_seq_no"),
                           i.get("error", {}).get("reason")) for i in items],
                "docs": docs["docs"], "tags": tags,
                "mapping": client.get("/piped/_mapping").json()["piped"],
                "count": client.get("/piped/_count").json()["count"]}


def test_pipelines_in_the_workers_answer_exactly_as_in_process(
        pair: tuple[Server, Server]) -> None:
    """The workers run a document's pipelines and prepare it for its index's mapping in one
    trip; whatever the outcome, the answers and the index are those of the in-process path."""
    with_workers, in_process = pair
    piped = run_pipeline(with_workers)
    assert worker_pids(with_workers), "the bulk requests were large enough to start a worker"
    assert piped == run_pipeline(in_process)
    results = {(status, result) for status, result, _, _ in piped["items"]}
    assert results == {(201, "created"), (200, "noop"), (400, None), (500, None)}
    assert piped["docs"][0]["_source"]["tag"] == ["web", "200"]
    assert piped["docs"][2]["_source"]["extra_1"] == "new field"


def test_a_worker_prepares_what_its_pipelines_made() -> None:
    """:func:`run_and_prepare` (in a worker): each processed document comes back with its
    tantivy JSON for the mapping it was sent, built from the pipeline's output exactly as the
    server would build it; documents that do not fit alone come back unprepared."""
    from loghaven.engine.document import DocumentBuilder
    from loghaven.engine.mapping import Mapping
    from loghaven.engine.split import tantivy_json
    from loghaven.ingest.workers import run_and_prepare

    sources = [{"msg": "ok", "status": 200, "client": "10.0.0.1"}, {"msg": "x", "status": 204},
               {"msg": "new", "status": 200, "other": 1}, {"msg": "no", "status": "bad"},
               {"msg": "b", "status": 203}]
    jobs = [("p", None, orjson.dumps(s), {"_index": "piped", "_id": str(n)})
            for n, s in enumerate(sources)]
    outcomes = run_and_prepare({"p": (1, PIPELINE)}, {"piped": (PIPELINE_MAPPING, None)}, jobs)
    # (workers keep compiled pipelines by id and revision: each test here has its own id)
    assert outcomes[1] is None  # dropped
    assert outcomes[4] == ("error", "fail_processor_exception", "no 203", 500, {})
    assert [o[2] is None for o in (outcomes[0], outcomes[2], outcomes[3])] == [False, True,
                                                                              True]
    body, metadata, (head, bounds) = outcomes[0]
    assert metadata is None  # unchanged
    source = orjson.loads(body)
    assert source == {"msg": "OK", "status": 200, "tag": ["web", "200"],
                      "source": {"ip": "10.0.0.1"}}
    builder = DocumentBuilder(Mapping(PIPELINE_MAPPING))
    flat, _ = builder.build(source, "")
    assert bounds == builder.date_bounds(flat)
    flat["_source"] = body
    assert head == tantivy_json(flat)[:-1]


def test_the_lookup_cache_sizes_reach_the_workers() -> None:
    """``ingest.geoip.cache_size`` and ``ingest.user_agent.cache_size`` are the node's: the
    workers' caches have the sizes the server's have."""
    from loghaven.ingest.processors import geoip, user_agent
    from loghaven.ingest.workers import IngestWorkers

    geoip.lookup.configure(7)
    user_agent.parse.configure(0)
    workers = IngestWorkers(1)
    try:
        assert workers._pool().submit(cache_sizes).result(timeout=60) == (7, 0)
    finally:
        workers.close()
        geoip.lookup.configure(geoip.CACHE_SIZE)
        user_agent.parse.configure(user_agent.CACHE_SIZE)


def cache_sizes() -> tuple[int, int]:
    """In a worker: its geoip and user_agent cache sizes."""
    from loghaven.ingest.processors import geoip, user_agent
    return geoip.lookup.cache_info().maxsize, user_agent.parse.cache_info().maxsize


def test_a_rerouted_document_comes_back_as_its_first_pipeline_left_it() -> None:
    """A document whose pipeline changes ``_index`` is not run again in the server: it comes
    back with the first pipeline's work done (and its old index's final pipeline skipped), for
    the server to run the new index's final pipeline on."""
    from loghaven.ingest.workers import run_and_prepare

    pipeline = {"processors": [{"set": {"field": "a", "value": 1}},
                               {"set": {"field": "_index", "value": "other"}},
                               {"set": {"field": "b", "value": "{{_index}}"}}]}
    (outcome,) = run_and_prepare({"reroute": (1, pipeline)}, {"x": (MAPPING, None)},
                                 [("reroute", "missing-final", b'{"n": 1}', {"_index": "x"})])
    kind, body, metadata, ingest = outcome
    assert kind == "rerouted"
    assert orjson.loads(body) == {"n": 1, "a": 1, "b": "other"}
    assert metadata == {"_index": "other"}
    assert set(ingest) == {"timestamp"}
