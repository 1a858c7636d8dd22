"""``_forcemerge`` and ``_segments`` through HTTP, with opensearch-py as a user calls them and
raw requests: documents and search results are the same after a merge, deleted documents
are gone, and the segment views agree with each other."""

from __future__ import annotations

import time

import httpx
import pytest
from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError, RequestError

from conftest import Server


def _fill(client: httpx.Client, index: str) -> None:
    """Four batches, each bringing a new field: each seals the split before it (several
    splits), then deletes in two of them."""
    for batch, field in enumerate(("a", "b", "c", "d")):
        lines = []
        for n in range(batch * 10, batch * 10 + 10):
            lines += [f'{{"index":{{"_id":"{n}"}}}}', f'{{"n":{n},"{field}":"word{n % 4}"}}']
        response = client.post(f"/{index}/_bulk?refresh=true", content="\n".join(lines) + "\n",
                               headers={"content-type": "application/x-ndjson"})
        assert response.json()["errors"] is False
    for doc_id in ("3", "14", "15", "16", "27"):
        assert client.delete(f"/{index}/_doc/{doc_id}?refresh=true").status_code == 200


def _everything(client: httpx.Client, index: str) -> list[tuple[str, dict]]:
    body = client.post(f"/{index}/_search", json={"size": 100, "sort": ["n"]}).json()
    return [(hit["_id"], hit["_source"]) for hit in body["hits"]["hits"]]


def _segment_views(client: httpx.Client, index: str) -> tuple[list, list]:
    """(id, docs, deleted) of each segment per ``_segments`` and per ``_cat/segments``."""
    shards = client.get(f"/{index}/_segments").json()["indices"][index]["shards"]["0"]
    api = sorted((name, s["num_docs"], s["deleted_docs"])
                 for name, s in shards[0]["segments"].items())
    cat = sorted((row["segment"], int(row["docs.count"]), int(row["docs.deleted"]))
                 for row in client.get(f"/_cat/segments/{index}?format=json").json())
    return api, cat


def test_force_merge_to_one_segment_keeps_documents_and_drops_deletes(
        server: Server, index_name: str) -> None:
    client = OpenSearch(hosts=[server.url], timeout=60)
    with httpx.Client(base_url=server.url, timeout=60) as raw:
        _fill(raw, index_name)
        before = _everything(raw, index_name)
        assert len(before) == 35
        matches = raw.post(f"/{index_name}/_search", json={
            "query": {"match": {"b": "word2"}}, "sort": ["n"]}).json()["hits"]["hits"]
        answer = client.indices.forcemerge(index=index_name, max_num_segments=1)
        assert answer == {"_shards": {"total": 1, "successful": 1, "failed": 0}}
        api, cat = _segment_views(raw, index_name)
        assert api == cat
        assert [(docs, deleted) for _, docs, deleted in api] == [(35, 0)]
        stats = raw.get(f"/{index_name}/_stats/docs,segments").json()["indices"][index_name]
        assert stats["primaries"]["docs"] == {"count": 35, "deleted": 0}
        assert stats["primaries"]["segments"]["count"] == 1
        assert _everything(raw, index_name) == before
        assert raw.post(f"/{index_name}/_search", json={
            "query": {"match": {"b": "word2"}}, "sort": ["n"]}).json()["hits"]["hits"] \
            == matches
        for doc_id in ("3", "14", "27"):
            assert raw.get(f"/{index_name}/_doc/{doc_id}").json()["found"] is False
        assert raw.get(f"/{index_name}/_doc/20").json()["_source"] == {"n": 20, "c": "word0"}
        # writes, updates and deletes go on after the merge
        raw.put(f"/{index_name}/_doc/20?refresh=true", json={"n": 20, "c": "again"})
        raw.delete(f"/{index_name}/_doc/21?refresh=true")
        assert raw.get(f"/{index_name}/_count").json()["count"] == 34
        assert raw.get(f"/{index_name}/_doc/20").json()["_version"] == 2


def test_force_merge_survives_a_restart(fresh_server: Server) -> None:
    with httpx.Client(base_url=fresh_server.url, timeout=60) as raw:
        _fill(raw, "kept")
        before = _everything(raw, "kept")
        assert raw.post("/kept/_forcemerge?max_num_segments=1").status_code == 200
        segments_before = _segment_views(raw, "kept")
    fresh_server.restart()
    with httpx.Client(base_url=fresh_server.url, timeout=60) as raw:
        assert _everything(raw, "kept") == before
        assert _segment_views(raw, "kept") == segments_before
    folders = list((fresh_server.data_dir / "indices").glob("*/splits/*"))
    assert len(folders) == 2  # the merged split and the active one: the inputs are gone


def test_only_expunge_deletes(server: Server, index_name: str) -> None:
    client = OpenSearch(hosts=[server.url], timeout=60)
    with httpx.Client(base_url=server.url, timeout=60) as raw:
        _fill(raw, index_name)
        before = _everything(raw, index_name)
        client.indices.forcemerge(index=index_name, only_expunge_deletes=True)
        api, cat = _segment_views(raw, index_name)
        assert api == cat
        # no segment keeps more deleted documents than the 10 % OpenSearch allows
        # (index.merge.policy.expunge_deletes_allowed); which ones were rewritten is
        # tests/test_index_ops_engine.py's (the shared server also merges small splits)
        assert all(deleted * 10 <= docs + deleted for _, docs, deleted in api)
        assert sum(docs for _, docs, _ in api) == 35
        assert _everything(raw, index_name) == before


def test_force_merge_of_all_indices_and_without_flush(server: Server, index_name: str) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as raw:
        raw.put(f"/{index_name}/_doc/1?refresh=true", json={"n": 1})
        answer = raw.post(f"/{index_name}/_forcemerge?flush=false").json()
        assert answer["_shards"]["failed"] == 0
        assert raw.get(f"/{index_name}/_count").json()["count"] == 1
        everything = raw.post("/_forcemerge").json()["_shards"]
        assert everything["total"] >= 1 and everything["failed"] == 0
        assert raw.get(f"/{index_name}/_count").json()["count"] == 1


def test_force_merge_in_the_background_is_a_task(server: Server, index_name: str) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as raw:
        _fill(raw, index_name)
        task = raw.post(f"/{index_name}/_forcemerge",
                        params={"max_num_segments": "1", "wait_for_completion": "false"}).json()
        assert set(task) == {"task"}
        done = raw.get(f"/_tasks/{task['task']}", params={"wait_for_completion": "true"}).json()
        assert done["completed"] is True
        assert done["task"]["action"] == "indices:admin/forcemerge"
        assert done["response"] == {"_shards": {"total": 1, "successful": 1, "failed": 0}}
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            api, _ = _segment_views(raw, index_name)
            if len(api) == 1:
                break
            time.sleep(0.1)
        assert [(docs, deleted) for _, docs, deleted in api] == [(35, 0)]


def test_force_merge_errors_are_es_errors(server: Server, index_name: str) -> None:
    client = OpenSearch(hosts=[server.url], timeout=30)
    with httpx.Client(base_url=server.url, timeout=30) as raw:
        raw.put(f"/{index_name}", json={})
        both = raw.post(f"/{index_name}/_forcemerge",
                        params={"max_num_segments": "1", "only_expunge_deletes": "true"})
        assert both.status_code == 400
        assert both.json()["error"]["type"] == "action_request_validation_exception"
        assert both.json()["error"]["reason"] == (
            "Validation Failed: 1: cannot set only_expunge_deletes and max_num_segments at "
            "the same time, those two parameters are mutually exclusive;")
        bad = raw.post(f"/{index_name}/_forcemerge", params={"max_num_segments": "x"})
        assert bad.status_code == 400
        assert bad.json()["error"]["type"] == "illegal_argument_exception"
        flag = raw.post(f"/{index_name}/_forcemerge", params={"flush": "maybe"})
        assert flag.status_code == 400
        with pytest.raises(NotFoundError):
            client.indices.forcemerge(index="no-such-index-anywhere")
        ignored = raw.post("/no-such-index-anywhere/_forcemerge",
                           params={"ignore_unavailable": "true"}).json()
        assert ignored == {"_shards": {"total": 0, "successful": 0, "failed": 0}}
        with pytest.raises(RequestError):
            client.indices.forcemerge(index=index_name, max_num_segments=1,
                                      only_expunge_deletes=True)
        missing = raw.get("/no-such-index-anywhere/_segments")
        assert missing.status_code == 404
        assert missing.json()["error"]["type"] == "index_not_found_exception"


def test_a_read_only_index_is_not_force_merged(server: Server, index_name: str) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as raw:
        raw.put(f"/{index_name}/_doc/1?refresh=true", json={"n": 1})
        raw.put(f"/{index_name}/_settings", json={"index.blocks.read_only": True})
        refused = raw.post(f"/{index_name}/_forcemerge")
        assert refused.status_code == 403
        assert refused.json()["error"]["type"] == "cluster_block_exception"
        assert refused.json()["error"]["reason"] == (
            f"index [{index_name}] blocked by: [FORBIDDEN/5/index read-only (api)];")
        # the write block (a migration's) does not stop it, as in ES
        raw.put(f"/{index_name}/_settings", json={"index.blocks.read_only": False,
                                                  "index.blocks.write": True})
        assert raw.post(f"/{index_name}/_forcemerge").status_code == 200
        assert raw.get(f"/{index_name}/_count").json()["count"] == 1
