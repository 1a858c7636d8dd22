"""ES 7's typed document paths and trailing slashes, over HTTP (api/typed.py, api/paths.py).

The requests and answers are the Elasticsearch 6.x reference's own examples (``twitter/tweet``,
``test/type1``, the ``_bulk`` and ``_mget`` pages), sent to Loghaven as ES 7 takes them: the
same answer as the typeless path, ``_type`` in the document's answer, and the "[types
removal]" text of ES 7's REST action in a ``Warning: 299`` header. The seed's Dev Tools
snippet, ``POST /cwl-/default/`` with a JSON body, runs as written.
"""

from __future__ import annotations

import re
import uuid
import warnings
from collections.abc import Iterator

import elasticsearch7
import httpx
import pytest

from conftest import Server
from loghaven.api import deprecation

NDJSON = {"content-type": "application/x-ndjson"}
WARNING = re.compile(r'^299 (?:OpenSearch|Elasticsearch)-[0-9.]+-\S+ "(.*)"$')


def warned(response: httpx.Response) -> list[str]:
    """The deprecation texts of the response's ``Warning`` headers, each in ES's format."""
    texts = []
    for value in response.headers.get_list("warning"):
        found = WARNING.match(value)
        assert found is not None, value
        texts.append(found.group(1))
    return texts


@pytest.fixture
def twitter(es: httpx.Client) -> Iterator[str]:
    name = f"twitter-{uuid.uuid4().hex[:8]}"
    yield name
    es.delete(f"/{name}")


# --- the seed's snippet --------------------------------------------------------------------


def test_the_seeds_dev_tools_snippet_runs_as_written(es: httpx.Client) -> None:
    es.delete("/cwl-")
    response = es.post("/cwl-/default/", json={"userIdentity": {"userName": "test"}})
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["_index"], body["_type"], body["result"]) == ("cwl-", "default", "created")
    assert warned(response) == [deprecation.INDEX]
    assert response.headers["location"] == f"/cwl-/default/{body['_id']}"
    found = es.get(f"/cwl-/_doc/{body['_id']}")
    assert found.json()["_source"] == {"userIdentity": {"userName": "test"}}
    assert "_type" not in found.json() and not warned(found)  # the typeless path: unchanged
    es.delete("/cwl-")


def test_the_warning_text_is_es_7s() -> None:
    assert deprecation.INDEX == (
        "[types removal] Specifying types in document index requests is deprecated, use the "
        "typeless endpoints instead (/{index}/_doc/{id}, /{index}/_doc, or "
        "/{index}/_create/{id}).")


# --- index, create, get, _source, update, delete ---------------------------------------------


def test_index_with_a_type_as_es_6s_example(es: httpx.Client, twitter: str) -> None:
    response = es.put(f"/{twitter}/tweet/1", json={
        "user": "kimchy", "post_date": "2009-11-15T14:12:12",
        "message": "trying out Elasticsearch"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert list(body)[:3] == ["_index", "_type", "_id"]
    assert (body["_index"], body["_type"], body["_id"], body["_version"], body["result"]) == \
        (twitter, "tweet", "1", 1, "created")
    assert {"_shards", "_seq_no", "_primary_term"} <= body.keys()
    assert response.headers["location"] == f"/{twitter}/tweet/1"
    assert warned(response) == [deprecation.INDEX]
    again = es.post(f"/{twitter}/tweet/1", json={"user": "kimchy", "message": "again"})
    assert (again.status_code, again.json()["result"], again.json()["_version"]) == \
        (200, "updated", 2)
    assert warned(again) == [deprecation.INDEX]


def test_automatic_ids_with_a_type_and_a_trailing_slash(es: httpx.Client, twitter: str) -> None:
    # ES 6's "Automatic ID generation" example is ``POST twitter/_doc/``, typed in 5.x/6.x
    for path in (f"/{twitter}/tweet/", f"/{twitter}/tweet"):
        response = es.post(path, json={"user": "kimchy", "message": "trying out Elasticsearch"})
        assert response.status_code == 201, response.text
        assert response.json()["_type"] == "tweet" and response.json()["result"] == "created"
        assert warned(response) == [deprecation.INDEX]


def test_get_head_and_source_with_a_type(es: httpx.Client, twitter: str) -> None:
    es.put(f"/{twitter}/tweet/0?refresh=true", json={"user": "kimchy", "message": "hello"})
    response = es.get(f"/{twitter}/tweet/0")
    assert response.status_code == 200
    assert response.json() == {"_index": twitter, "_type": "tweet", "_id": "0", "_version": 1,
                               "_seq_no": 0, "_primary_term": 1, "found": True,
                               "_source": {"user": "kimchy", "message": "hello"}}
    assert warned(response) == [deprecation.GET]
    head = es.head(f"/{twitter}/tweet/0")
    assert head.status_code == 200 and warned(head) == [deprecation.GET]
    missing = es.get(f"/{twitter}/tweet/9")
    assert missing.status_code == 404
    assert missing.json() == {"_index": twitter, "_type": "tweet", "_id": "9", "found": False}
    assert es.head(f"/{twitter}/tweet/9").status_code == 404
    source = es.get(f"/{twitter}/tweet/0/_source")
    assert source.json() == {"user": "kimchy", "message": "hello"}
    assert warned(source) == [deprecation.SOURCE]
    assert es.head(f"/{twitter}/tweet/0/_source").status_code == 200
    filtered = es.get(f"/{twitter}/tweet/0?_source_includes=user")
    assert filtered.json()["_source"] == {"user": "kimchy"}


def test_create_with_a_type(es: httpx.Client, twitter: str) -> None:
    created = es.put(f"/{twitter}/tweet/1/_create", json={"user": "kimchy"})
    assert created.status_code == 201 and created.json()["_type"] == "tweet"
    assert warned(created) == [deprecation.INDEX]
    conflict = es.post(f"/{twitter}/tweet/1/_create", json={"user": "kimchy"})
    assert conflict.status_code == 409
    assert conflict.json()["error"]["type"] == "version_conflict_engine_exception"
    assert warned(conflict) == [deprecation.INDEX]  # an error carries it too, as in ES


def test_update_with_a_type_as_es_6s_example(es: httpx.Client) -> None:
    index = f"test-{uuid.uuid4().hex[:8]}"
    es.put(f"/{index}/type1/1", json={"counter": 1, "tags": ["red"]})
    response = es.post(f"/{index}/type1/1/_update", json={"doc": {"name": "new_name"}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["_index"], body["_type"], body["_id"], body["result"], body["_version"]) == \
        (index, "type1", "1", "updated", 2)
    assert warned(response) == [deprecation.UPDATE]
    assert es.get(f"/{index}/_doc/1").json()["_source"] == {
        "counter": 1, "tags": ["red"], "name": "new_name"}
    missing = es.post(f"/{index}/type1/2/_update", json={"doc": {"name": "x"}})
    assert missing.status_code == 404 and warned(missing) == [deprecation.UPDATE]
    es.delete(f"/{index}")


def test_delete_with_a_type(es: httpx.Client, twitter: str) -> None:
    es.put(f"/{twitter}/tweet/1", json={"user": "kimchy"})
    response = es.delete(f"/{twitter}/tweet/1")
    assert response.status_code == 200
    assert (response.json()["_type"], response.json()["result"]) == ("tweet", "deleted")
    assert warned(response) == [deprecation.DELETE]
    again = es.delete(f"/{twitter}/tweet/1")
    assert again.status_code == 404 and again.json()["result"] == "not_found"


def test_doc_is_the_type_es_7_treats_specially(es: httpx.Client, twitter: str) -> None:
    # /i/_doc/1/_create is ES 7's typed create with the type _doc: its index action does not
    # warn for _doc; /i/_doc/1/_update is a typed update, which does
    created = es.post(f"/{twitter}/_doc/1/_create?refresh=true", json={"user": "kimchy"})
    assert created.status_code == 201 and created.json()["_type"] == "_doc"
    assert warned(created) == []
    update = es.post(f"/{twitter}/_doc/1/_update", json={"doc": {"n": 1}})
    assert update.status_code == 200 and update.json()["_type"] == "_doc"
    assert warned(update) == [deprecation.UPDATE]
    # /i/_doc/_search is a search (not the document "_search"), and warns as ES 7 does
    search = es.get(f"/{twitter}/_doc/_search")
    assert search.status_code == 200 and search.json()["hits"]["total"]["value"] == 1
    assert warned(search) == [deprecation.SEARCH]
    # a segment starting with "_" is no type: an unknown endpoint stays unknown
    unknown = es.post(f"/{twitter}/_nothing", json={})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["reason"] == \
        f"no handler found for uri [/{twitter}/_nothing] and method [POST]"


def test_type_names_and_index_names_es_refuses(es: httpx.Client, twitter: str) -> None:
    comma = es.put(f"/{twitter}/a,b/1", json={})
    assert comma.status_code == 400
    assert comma.json()["error"]["type"] == "invalid_type_name_exception"
    assert comma.json()["error"]["reason"] == "mapping type name [a,b] should not include ',' in it"
    # an index name starting with "_" stays refused: the "_" namespace is the APIs'
    for method, path in (("POST", "/_twitter/tweet"), ("PUT", "/_twitter/tweet/1"),
                         ("GET", "/_twitter/tweet/1"), ("POST", "/_twitter/tweet/_search")):
        underscore = es.request(method, path, json={"user": "kimchy"})
        assert underscore.status_code == 400, (method, path)
        assert underscore.json()["error"]["reason"] == \
            f"no handler found for uri [{path}] and method [{method}]"
    assert es.post("/_twitter/_doc", json={}).json()["error"]["type"] == \
        "invalid_index_name_exception"  # the typeless path refuses the name, as before
    # a path another route knows keeps that route's 405
    wrong = es.post("/_cluster/health", json={})
    assert wrong.status_code == 405


# --- search, count, _mget, _bulk -----------------------------------------------------------


def test_search_and_count_with_a_type(es: httpx.Client, twitter: str) -> None:
    es.put(f"/{twitter}/tweet/1?refresh=true", json={"user": "kimchy"})
    es.put(f"/{twitter}/tweet/2?refresh=true", json={"user": "other"})
    search = es.get(f"/{twitter}/tweet/_search", params={"q": "user:kimchy"})
    assert search.status_code == 200
    assert [(hit["_type"], hit["_id"]) for hit in search.json()["hits"]["hits"]] == \
        [("tweet", "1")]
    assert warned(search) == [deprecation.SEARCH]
    posted = es.post(f"/{twitter}/tweet/_search", json={"query": {"match_all": {}}})
    assert posted.json()["hits"]["total"]["value"] == 2
    count = es.get(f"/{twitter}/tweet/_count", params={"q": "user:kimchy"})
    assert count.json()["count"] == 1 and "_shards" in count.json()
    assert warned(count) == [deprecation.COUNT]
    assert warned(es.post(f"/{twitter}/_doc/_count", json={})) == [deprecation.COUNT]


def test_msearch_validate_and_by_query_with_a_type(es: httpx.Client, twitter: str) -> None:
    es.put(f"/{twitter}/tweet/1?refresh=true", json={"user": "kimchy", "n": 1})
    msearch = es.post(f"/{twitter}/tweet/_msearch", headers=NDJSON,
                      content=b'{}\n{"query":{"match_all":{}}}\n')
    assert msearch.json()["responses"][0]["hits"]["total"]["value"] == 1
    assert warned(msearch) == [deprecation.MSEARCH]
    valid = es.get(f"/{twitter}/tweet/_validate/query", params={"q": "user:kimchy"})
    assert valid.json()["valid"] is True and warned(valid) == [deprecation.VALIDATE]
    updated = es.post(f"/{twitter}/tweet/_update_by_query?refresh=true", json={})
    assert updated.json()["updated"] == 1 and warned(updated) == [deprecation.SEARCH]
    deleted = es.post(f"/{twitter}/tweet/_delete_by_query?refresh=true",
                      json={"query": {"match": {"user": "kimchy"}}})
    assert deleted.json()["deleted"] == 1 and warned(deleted) == [deprecation.SEARCH]


def test_mget_with_types_as_es_6s_examples(es: httpx.Client) -> None:
    index = f"test-{uuid.uuid4().hex[:8]}"
    es.put(f"/{index}/_doc/1", json={"field1": "value1"})
    es.put(f"/{index}/_doc/2?refresh=true", json={"field2": "value2"})
    response = es.post("/_mget", json={"docs": [{"_index": index, "_type": "_doc", "_id": "1"},
                                                {"_index": index, "_type": "_doc", "_id": "2"}]})
    assert response.status_code == 200
    assert [(d["_type"], d["_id"], d["found"]) for d in response.json()["docs"]] == \
        [("_doc", "1", True), ("_doc", "2", True)]
    assert warned(response) == [deprecation.MGET]
    typed = es.post(f"/{index}/type/_mget", json={"ids": ["1", "2"]})
    assert [d["_type"] for d in typed.json()["docs"]] == ["type", "type"]
    assert warned(typed) == [deprecation.MGET]
    typeless = es.post(f"/{index}/_mget", json={"ids": ["1"]})
    assert "_type" not in typeless.json()["docs"][0] and warned(typeless) == []
    es.delete(f"/{index}")


def test_bulk_with_types_as_es_6s_example(es: httpx.Client) -> None:
    index = f"test-{uuid.uuid4().hex[:8]}"
    body = "".join(line + "\n" for line in (
        f'{{"index":{{"_index":"{index}","_type":"_doc","_id":"1"}}}}',
        '{"field1":"value1"}',
        f'{{"delete":{{"_index":"{index}","_type":"_doc","_id":"2"}}}}',
        f'{{"create":{{"_index":"{index}","_type":"_doc","_id":"3"}}}}',
        '{"field1":"value3"}',
        f'{{"update":{{"_id":"1","_type":"_doc","_index":"{index}"}}}}',
        '{"doc":{"field2":"value2"}}'))
    response = es.post("/_bulk", content=body.encode(), headers=NDJSON)
    assert response.status_code == 200
    items = response.json()["items"]
    assert [(next(iter(i)), i[next(iter(i))]["_type"], i[next(iter(i))]["status"])
            for i in items] == [("index", "_doc", 201), ("delete", "_doc", 404),
                                ("create", "_doc", 201), ("update", "_doc", 200)]
    assert warned(response) == [deprecation.BULK]
    customer = es.post(f"/{index}/external/_bulk", headers=NDJSON,
                       content=b'{"index":{"_id":"1"}}\n{"name":"John Doe"}\n')
    assert customer.json()["items"][0]["index"]["_type"] == "external"
    assert warned(customer) == [deprecation.BULK]
    typeless = es.post(f"/{index}/_bulk", headers=NDJSON,
                       content=b'{"index":{"_id":"9"}}\n{"name":"x"}\n')
    assert "_type" not in typeless.json()["items"][0]["index"] and warned(typeless) == []
    es.delete(f"/{index}")


# --- trailing slashes ----------------------------------------------------------------------


def test_a_trailing_slash_answers_like_the_path_without_it(es: httpx.Client) -> None:
    index = f"slash-{uuid.uuid4().hex[:8]}"
    created = es.put(f"/{index}/")
    assert created.status_code == 200 and created.json()["index"] == index
    put = es.put(f"/{index}/_doc/1/?refresh=true", json={"a": 1})
    assert put.status_code == 201
    assert es.get(f"/{index}/_doc/1/").json()["_source"] == {"a": 1}
    assert es.post(f"/{index}/_search/", json={}).json()["hits"]["total"]["value"] == 1
    assert es.get("/_cluster/health/").json()["status"] in ("green", "yellow")
    assert es.get("/_cluster/health//").status_code == 200  # ES drops every trailing slash
    assert es.get(f"/{index}/_count/", params={"q": "a:1"}).json()["count"] == 1
    deleted = es.delete(f"/{index}/")
    assert deleted.status_code == 200 and deleted.json() == {"acknowledged": True}


def test_no_answer_is_a_redirect_any_more(es: httpx.Client) -> None:
    for method, path in (("GET", "/_cat/indices/"), ("POST", "/_search/"),
                         ("GET", "/_nodes/"), ("POST", "/_bulk/")):
        response = es.request(method, path, content=b'{"index":{"_index":"slash-bulk"}}\n{}\n'
                              if path == "/_bulk/" else None, headers=NDJSON)
        assert response.status_code == 200, (method, path, response.status_code)
    es.delete("/slash-bulk")
    # a wrong method is the same 405 with or without the slash, quoting the path as sent
    wrong = es.post("/_cluster/health/", json={})
    assert wrong.status_code == 405
    assert wrong.json()["error"]["reason"].startswith(
        "Incorrect HTTP method for uri [/_cluster/health/] and method [POST], allowed: [")


def test_slashes_that_mean_something_are_kept(es: httpx.Client) -> None:
    # the UI's directory page, and the SQL plugin's routes defined with a slash
    page = es.get("/_dashboards/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for path in ("/_plugins/_sql/", "/_plugins/_sql"):
        response = es.post(path, json={"query": "SELECT 1"})
        assert response.status_code == 200, (path, response.text)
    # under the UI's mount of API routes too
    status = es.get("/_dashboards/api/status/")
    assert status.status_code == 200, status.text
    # a path no route takes either way is quoted as sent
    unknown = es.get("/_nothing/a/b/c/")
    assert unknown.status_code == 400
    assert unknown.json()["error"]["reason"] == \
        "no handler found for uri [/_nothing/a/b/c/] and method [GET]"


# --- elasticsearch-py 7 with doc_type= -----------------------------------------------------


@pytest.fixture(scope="module")
def elastic_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    instance = Server(tmp_path_factory.mktemp("typed") / "data",
                      "--elastic-product-header").start()
    yield instance
    instance.stop()


def test_elasticsearch7_client_with_doc_type(elastic_server: Server) -> None:
    client = elasticsearch7.Elasticsearch([elastic_server.url])
    index = f"es7-typed-{uuid.uuid4().hex[:8]}"
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        created = client.index(index=index, doc_type="tweet", id="1",
                               body={"user": "kimchy"}, refresh=True)
        assert (created["_type"], created["result"]) == ("tweet", "created")
        assert client.get(index=index, doc_type="tweet", id="1")["_source"] == \
            {"user": "kimchy"}
        assert client.exists(index=index, doc_type="tweet", id="1")
        assert client.get_source(index=index, doc_type="tweet", id="1") == {"user": "kimchy"}
        assert client.update(index=index, doc_type="tweet", id="1",
                             body={"doc": {"n": 2}})["result"] == "updated"
        assert client.create(index=index, doc_type="tweet", id="2",
                             body={"user": "other"}, refresh=True)["result"] == "created"
        hits = client.search(index=index, doc_type="tweet", q="user:kimchy")["hits"]
        assert [hit["_id"] for hit in hits["hits"]] == ["1"]
        assert client.count(index=index, doc_type="tweet")["count"] == 2
        docs = client.mget(index=index, doc_type="tweet", body={"ids": ["1", "2"]})["docs"]
        assert [d["found"] for d in docs] == [True, True]
        bulk = client.bulk(index=index, doc_type="tweet",
                           body=[{"index": {"_id": "3"}}, {"user": "third"}])
        assert not bulk["errors"] and bulk["items"][0]["index"]["_type"] == "tweet"
        assert client.delete(index=index, doc_type="tweet", id="2")["result"] == "deleted"
    texts = {str(w.message) for w in seen
             if issubclass(w.category, elasticsearch7.ElasticsearchWarning)}
    assert texts == {deprecation.INDEX, deprecation.GET, deprecation.SOURCE,
                     deprecation.UPDATE, deprecation.SEARCH, deprecation.COUNT,
                     deprecation.MGET, deprecation.BULK, deprecation.DELETE}
    client.indices.delete(index=index)
