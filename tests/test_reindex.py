"""_reindex over HTTP: copies, queries, limits, scripts, versions, pipelines, ES's errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from opensearchpy import OpenSearch

from conftest import Server
from searchdata import WEB_DOCS, WEB_MAPPING, load

_COUNTERS = {"retries": {"bulk": 0, "search": 0}, "throttled_millis": 0,
             "requests_per_second": -1.0, "throttled_until_millis": 0, "failures": [],
             "timed_out": False}


def _reindex(es: httpx.Client, body: dict[str, Any], query: str = "?refresh=true",
             status: int = 200) -> dict[str, Any]:
    response = es.post(f"/_reindex{query}", json=body)
    assert response.status_code == status, response.text
    return response.json()


def _all(es: httpx.Client, index: str) -> dict[str, dict[str, Any]]:
    hits = es.post(f"/{index}/_search", json={"size": 100}).json()["hits"]["hits"]
    return {hit["_id"]: hit["_source"] for hit in hits}


def _error(response: httpx.Response, status: int, kind: str) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["type"] == kind, error
    assert error["root_cause"][0]["type"] == kind
    return str(error["reason"])


def test_reindex_everything(es: httpx.Client, index_name: str) -> None:
    load(es, index_name, WEB_DOCS, WEB_MAPPING)
    body = _reindex(es, {"source": {"index": index_name, "size": 3},
                         "dest": {"index": f"{index_name}-copy"}})
    assert isinstance(body.pop("took"), int)
    assert body == {"total": 8, "updated": 0, "created": 8, "deleted": 0, "batches": 3,
                    "version_conflicts": 0, "noops": 0, **_COUNTERS}
    assert _all(es, f"{index_name}-copy") == WEB_DOCS
    again = _reindex(es, {"source": {"index": index_name}, "dest": {"index": f"{index_name}-copy"}})
    assert (again["created"], again["updated"], again["batches"]) == (0, 8, 1)
    assert es.get(f"/{index_name}-copy/_doc/1").json()["_version"] == 2


def test_query_max_docs_and_source_filter(es: httpx.Client, index_name: str) -> None:
    load(es, index_name, WEB_DOCS, WEB_MAPPING)
    blocked = _reindex(es, {"source": {"index": index_name, "query": {"term": {"action": "BLOCK"}},
                                       "_source": ["action", "status"]},
                            "dest": {"index": f"{index_name}-blocked"}})
    assert blocked["total"] == 3 and blocked["created"] == 3
    assert _all(es, f"{index_name}-blocked") == {
        "2": {"action": "BLOCK", "status": 403}, "3": {"action": "BLOCK", "status": 403},
        "7": {"action": "BLOCK"}}
    limited = _reindex(es, {"source": {"index": index_name, "size": 2}, "max_docs": 3,
                            "dest": {"index": f"{index_name}-three"}})
    assert (limited["total"], limited["created"], limited["batches"]) == (3, 3, 2)
    legacy = _reindex(es, {"source": {"index": index_name}, "size": 1,
                           "dest": {"index": f"{index_name}-one"}})
    assert legacy["total"] == 1
    by_url = _reindex(es, {"source": {"index": index_name}, "dest": {"index": f"{index_name}-two"}},
                      "?refresh=true&max_docs=2")
    assert by_url["total"] == 2


def test_sources_as_list_wildcard_and_alias(es: httpx.Client, index_name: str) -> None:
    load(es, f"{index_name}-src-a", {"1": {"n": 1}, "2": {"n": 2}})
    load(es, f"{index_name}-src-b", {"3": {"n": 3}})
    es.put(f"/{index_name}-src-b/_alias/{index_name}-alias")
    listed = _reindex(es, {"source": {"index": [f"{index_name}-src-a", f"{index_name}-src-b"]},
                           "dest": {"index": f"{index_name}-listed"}})
    assert listed["created"] == 3
    wild = _reindex(es, {"source": {"index": f"{index_name}-src-*"},
                         "dest": {"index": f"{index_name}-all"}})
    assert wild["created"] == 3
    assert sorted(_all(es, f"{index_name}-all")) == ["1", "2", "3"]
    aliased = _reindex(es, {"source": {"index": f"{index_name}-alias"},
                            "dest": {"index": f"{index_name}-via-alias"}})
    assert aliased["created"] == 1


def test_scripts_modify_noop_and_delete(es: httpx.Client, index_name: str) -> None:
    load(es, index_name, {str(i): {"n": i, "keep": i % 3} for i in range(1, 7)})
    dest = f"{index_name}-scripted"
    load(es, dest, {"3": {"n": 30}, "6": {"n": 60}})
    script = {"source": """
        if (ctx._source.keep == 0) { ctx.op = 'delete'; return; }
        if (ctx._source.keep == 2) { ctx.op = 'noop'; return; }
        ctx._source.n = ctx._source.n * params.factor;
        ctx._source.from = ctx._index;
        ctx._id = 'doc-' + ctx._id;
    """, "params": {"factor": 10}}
    body = _reindex(es, {"source": {"index": index_name}, "dest": {"index": dest},
                         "script": script})
    assert (body["total"], body["created"], body["noops"], body["deleted"]) == (6, 2, 2, 2)
    assert _all(es, dest) == {"doc-1": {"n": 10, "keep": 1, "from": index_name},
                              "doc-4": {"n": 40, "keep": 1, "from": index_name}}
    bad_op = es.post("/_reindex", json={"source": {"index": index_name},
                                        "dest": {"index": dest},
                                        "script": "ctx.op = 'create'"})
    assert "Operation type [create] not allowed" in _error(bad_op, 400,
                                                          "illegal_argument_exception")
    broken = es.post("/_reindex", json={"source": {"index": index_name}, "dest": {"index": dest},
                                        "script": {"source": "ctx._source.n = ("}})
    _error(broken, 400, "script_exception")


def test_op_type_create_conflicts_abort_and_proceed(es: httpx.Client, index_name: str) -> None:
    load(es, index_name, {"1": {"n": 1}, "2": {"n": 2}, "3": {"n": 3}})
    dest = f"{index_name}-create"
    load(es, dest, {"2": {"n": 20}})
    aborted = es.post("/_reindex?refresh=true", json={
        "source": {"index": index_name}, "dest": {"index": dest, "op_type": "create"}})
    assert aborted.status_code == 409, aborted.text
    body = aborted.json()
    assert body["version_conflicts"] == 1
    failure, = body["failures"]
    assert failure["id"] == "2" and failure["status"] == 409 and failure["index"] == dest
    assert failure["cause"]["type"] == "version_conflict_engine_exception"
    # the batch's other documents were written, as ES writes the whole bulk before aborting
    assert _all(es, dest) == {"1": {"n": 1}, "2": {"n": 20}, "3": {"n": 3}}
    es.put(f"/{index_name}/_doc/4?refresh=true", json={"n": 4})
    proceeded = _reindex(es, {"source": {"index": index_name}, "conflicts": "proceed",
                              "dest": {"index": dest, "op_type": "create"}})
    assert (proceeded["version_conflicts"], proceeded["created"]) == (3, 1)
    assert proceeded["failures"] == []
    assert _all(es, dest)["4"] == {"n": 4}
    assert es.post("/_reindex", json={"source": {"index": index_name}, "conflicts": "maybe",
                                      "dest": {"index": dest}}).status_code == 400


def test_version_type_external(es: httpx.Client, index_name: str) -> None:
    load(es, index_name, {"1": {"n": 1}, "2": {"n": 2}})
    for _ in range(2):  # version 3 of document 1 in the source
        es.put(f"/{index_name}/_doc/1?refresh=true", json={"n": 11})
    dest = f"{index_name}-external"
    es.put(f"/{dest}/_doc/2?version=5&version_type=external&refresh=true", json={"n": 22})
    body = _reindex(es, {"source": {"index": index_name}, "conflicts": "proceed",
                         "dest": {"index": dest, "version_type": "external"}})
    assert (body["created"], body["version_conflicts"]) == (1, 1)
    assert es.get(f"/{dest}/_doc/1").json()["_version"] == 3
    assert es.get(f"/{dest}/_doc/2").json()["_source"] == {"n": 22}


def test_pipelines_of_dest_and_index_default(es: httpx.Client, index_name: str) -> None:
    load(es, index_name, {"1": {"n": 1, "drop": False}, "2": {"n": 2, "drop": True}})
    pipeline = f"{index_name}-tag"
    assert es.put(f"/_ingest/pipeline/{pipeline}", json={"processors": [
        {"drop": {"if": "ctx.drop == true"}},
        {"set": {"field": "tagged", "value": "{{_index}}"}}]}).status_code == 200
    named = _reindex(es, {"source": {"index": index_name},
                          "dest": {"index": f"{index_name}-named", "pipeline": pipeline}})
    assert (named["created"], named["noops"]) == (1, 1)
    assert _all(es, f"{index_name}-named") == {
        "1": {"n": 1, "drop": False, "tagged": f"{index_name}-named"}}
    by_default = f"{index_name}-default"
    es.put(f"/{by_default}", json={"settings": {"index.default_pipeline": pipeline}})
    defaulted = _reindex(es, {"source": {"index": index_name}, "dest": {"index": by_default}})
    assert (defaulted["created"], defaulted["noops"]) == (1, 1)
    assert _all(es, by_default)["1"]["tagged"] == by_default
    refused = es.post(f"/_reindex?pipeline={pipeline}", json={
        "source": {"index": index_name}, "dest": {"index": f"{index_name}-url"}})
    assert "Specify it in the [dest] object" in _error(refused, 400,
                                                       "illegal_argument_exception")


def test_dest_created_with_templates(es: httpx.Client, index_name: str) -> None:
    load(es, index_name, {"1": {"code": "7"}})
    assert es.put(f"/_index_template/{index_name}", json={
        "index_patterns": [f"{index_name}-t*"],
        "template": {"mappings": {"properties": {"code": {"type": "keyword"}}}}}
    ).status_code == 200
    _reindex(es, {"source": {"index": index_name}, "dest": {"index": f"{index_name}-t1"}})
    mapping = es.get(f"/{index_name}-t1/_mapping").json()
    assert mapping[f"{index_name}-t1"]["mappings"]["properties"]["code"] == {"type": "keyword"}


def test_errors(es: httpx.Client, index_name: str) -> None:
    load(es, index_name, {"1": {"n": 1}})
    es.put(f"/{index_name}/_alias/{index_name}-same")
    same = es.post("/_reindex", json={"source": {"index": index_name},
                                      "dest": {"index": index_name}})
    assert _error(same, 400, "action_request_validation_exception") == (
        f"Validation Failed: 1: reindex cannot write into an index its reading from "
        f"[{index_name}];")
    through_alias = es.post("/_reindex", json={"source": {"index": index_name},
                                               "dest": {"index": f"{index_name}-same"}})
    _error(through_alias, 400, "action_request_validation_exception")
    missing = es.post("/_reindex", json={"source": {"index": f"{index_name}-none"},
                                         "dest": {"index": f"{index_name}-d"}})
    assert _error(missing, 404, "index_not_found_exception") == \
        f"no such index [{index_name}-none]"
    no_dest = es.post("/_reindex", json={"source": {"index": index_name}})
    assert "index must be specified" in _error(no_dest, 400,
                                               "action_request_validation_exception")
    remote = es.post("/_reindex", json={"source": {"index": index_name, "remote": {
        "host": "http://127.0.0.1:1"}}, "dest": {"index": f"{index_name}-d"}})
    assert "remote" in _error(remote, 400, "illegal_argument_exception")
    unknown = es.post("/_reindex", json={"source": {"index": index_name},
                                         "dest": {"index": f"{index_name}-d"}, "x": 1})
    assert _error(unknown, 400, "x_content_parse_exception") == "[reindex] unknown field [x]"
    bad_op = es.post("/_reindex", json={"source": {"index": index_name},
                                        "dest": {"index": f"{index_name}-d", "op_type": "x"}})
    _error(bad_op, 400, "illegal_argument_exception")
    no_alias = es.post("/_reindex?require_alias=true", json={
        "source": {"index": index_name}, "dest": {"index": f"{index_name}-d"}})
    assert "is not an alias" in _error(no_alias, 404, "index_not_found_exception")
    slow = es.post("/_reindex?requests_per_second=0", json={
        "source": {"index": index_name}, "dest": {"index": f"{index_name}-d"}})
    _error(slow, 400, "illegal_argument_exception")
    slices = es.post("/_reindex?slices=0", json={
        "source": {"index": index_name}, "dest": {"index": f"{index_name}-d"}})
    _error(slices, 400, "illegal_argument_exception")
    assert es.post("/_reindex").status_code == 400
    assert es.head(f"/{index_name}-d").status_code == 404


def test_slices_and_manual_slice(es: httpx.Client, index_name: str) -> None:
    load(es, index_name, {str(i): {"n": i} for i in range(20)})
    auto = _reindex(es, {"source": {"index": index_name}, "dest": {"index": f"{index_name}-a"}},
                    "?refresh=true&slices=auto")
    assert auto["created"] == 20
    assert "slices" not in auto
    for part in range(2):
        body = _reindex(es, {"source": {"index": index_name, "slice": {"id": part, "max": 2}},
                             "dest": {"index": f"{index_name}-s"}})
        assert 0 < body["created"] < 20
    sliced = _reindex(es, {"source": {"index": index_name, "size": 4},
                           "dest": {"index": f"{index_name}-n"}}, "?refresh=true&slices=3")
    parts = sliced["slices"]
    assert [part["slice_id"] for part in parts] == [0, 1, 2]
    assert sliced["created"] == sum(part["created"] for part in parts) == 20
    assert all(0 < part["created"] < 20 for part in parts)
    assert sliced["batches"] == sum(part["batches"] for part in parts)
    assert all(set(part) - {"slice_id"} == set(sliced) - {"took", "timed_out", "failures",
                                                           "slices"} for part in parts)
    both = es.post("/_reindex?slices=2", json={
        "source": {"index": index_name, "slice": {"id": 0, "max": 2}},
        "dest": {"index": f"{index_name}-n"}})
    _error(both, 400, "action_request_validation_exception")
    deleted = es.post(f"/{index_name}-n/_delete_by_query?slices=2&refresh=true",
                      json={"query": {"match_all": {}}}).json()
    assert deleted["deleted"] == 20 and len(deleted["slices"]) == 2
    assert "created" not in deleted["slices"][0]
    assert es.get(f"/{index_name}-s/_count").json()["count"] == 20


def test_opensearch_py_reindex(server: Server, index_name: str) -> None:
    client = OpenSearch(hosts=[server.url])
    client.index(index=index_name, id="1", body={"n": 1}, refresh=True)
    result = client.reindex(body={"source": {"index": index_name},
                                  "dest": {"index": f"{index_name}-py"}}, refresh=True)
    assert result["created"] == 1
    assert client.get(index=f"{index_name}-py", id="1")["_source"] == {"n": 1}
    with pytest.raises(Exception, match="reindex cannot write"):
        client.reindex(body={"source": {"index": index_name}, "dest": {"index": index_name}})
