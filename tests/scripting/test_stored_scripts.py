"""Stored scripts (``_scripts/<id>``) through opensearch-py against a real server: OpenSearch's
answers and errors for put, get and delete, and a search's aggregation and a ``_reindex``
that name one by id run its current source."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from opensearchpy import OpenSearch
from opensearchpy.exceptions import TransportError

from conftest import Server


@pytest.fixture
def client(server: Server) -> OpenSearch:
    return OpenSearch(server.url, timeout=30)


def error_of(call: Callable[[], Any]) -> tuple[int, str, str]:
    with pytest.raises(TransportError) as caught:
        call()
    error = caught.value.info["error"] if isinstance(caught.value.info, dict) else {}
    return caught.value.status_code, error.get("type", ""), error.get("reason", "")


def test_put_get_delete(client: OpenSearch) -> None:
    script_id = f"s-{uuid.uuid4().hex[:8]}"
    source = {"lang": "painless", "source": "params.a + params.b"}
    assert client.put_script(id=script_id, body={"script": source}) == {"acknowledged": True}
    assert client.get_script(id=script_id) == {"_id": script_id, "found": True,
                                               "script": source}
    assert client.delete_script(id=script_id) == {"acknowledged": True}
    with pytest.raises(TransportError) as caught:
        client.get_script(id=script_id)
    assert (caught.value.status_code, caught.value.info) == (
        404, {"_id": script_id, "found": False})
    assert error_of(lambda: client.delete_script(id=script_id)) == (
        404, "resource_not_found_exception",
        f"stored script [{script_id}] does not exist and cannot be deleted")


@pytest.mark.parametrize(("body", "reason"), [
    ({"script": {"source": "1"}}, "must specify lang for stored script"),
    ({"script": {"lang": "painless"}}, "must specify source for stored script"),
    ({"script": {"lang": "painless", "source": ""}}, "source cannot be empty"),
    ({"script": {"lang": "groovy", "source": "1"}},
     "unable to put stored script with unsupported lang [groovy]"),
])
def test_put_refuses_what_opensearch_refuses(client: OpenSearch, body: dict[str, Any],
                                            reason: str) -> None:
    assert error_of(lambda: client.put_script(id="bad", body=body)) == (
        400, "illegal_argument_exception", reason)
    assert error_of(lambda: client.put_script(id="a#b", body={
        "script": {"lang": "painless", "source": "1"}}))[2] == (
        "Validation Failed: 1: id cannot contain '#' for stored script;")


def test_search_and_reindex_run_the_current_source(client: OpenSearch) -> None:
    index = f"stored-{uuid.uuid4().hex[:8]}"
    script_id = f"s-{uuid.uuid4().hex[:8]}"
    for i, host in enumerate(("a", "a", "b")):
        client.index(index=index, id=str(i), body={"host": host, "n": i}, refresh=True)
    body = {"size": 0, "aggs": {"hosts": {
        "terms": {"field": "host.keyword", "order": {"_key": "asc"}},
        "aggs": {"scored": {"bucket_script": {
            "buckets_path": {"count": "_count"},
            "script": {"id": script_id, "params": {"k": 3}}}}}}}}

    def scored() -> list[tuple[str, float]]:
        buckets = client.search(index=index, body=body)["aggregations"]["hosts"]["buckets"]
        return [(b["key"], b["scored"]["value"]) for b in buckets]

    assert error_of(lambda: client.search(index=index, body=body)) == (
        404, "resource_not_found_exception",
        f"unable to find script [{script_id}] in cluster state")
    client.put_script(id=script_id, body={"script": {
        "lang": "painless", "source": "params.count * params.k"}})
    assert scored() == [("a", 6.0), ("b", 3.0)]
    client.put_script(id=script_id, body={"script": {
        "lang": "painless", "source": "params.count + params.k"}})
    assert scored() == [("a", 5.0), ("b", 4.0)]
    # a msearch item resolves it too; the reference may not name a lang
    answer = client.msearch(body=[{"index": index}, body])["responses"][0]
    assert answer["aggregations"]["hosts"]["buckets"][0]["scored"]["value"] == 5.0
    body["aggs"]["hosts"]["aggs"]["scored"]["bucket_script"]["script"]["lang"] = "painless"
    assert error_of(lambda: client.search(index=index, body=body)) == (
        400, "illegal_argument_exception", "illegal to specify [lang] for a stored script")

    client.put_script(id=script_id, body={"script": {
        "lang": "painless", "source": "ctx._source.tag = params.tag"}})
    client.reindex(body={"source": {"index": index}, "dest": {"index": f"{index}-copy"},
                         "script": {"id": script_id, "params": {"tag": "copied"}}},
                   refresh=True)
    hits = client.search(index=f"{index}-copy", body={"query": {"term": {"tag": "copied"}}})
    assert hits["hits"]["total"]["value"] == 3
