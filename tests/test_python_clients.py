"""The Python clients users already run, unchanged, against a Loghaven server the test starts.

opensearch-py and opensearch-dsl talk to the default server; elasticsearch-py 7.x and 8.x to
one with the product-header setting on, which they require.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import elasticsearch
import elasticsearch7
import httpx
import opensearch_dsl
import pytest
from elasticsearch import helpers as es8_helpers
from elasticsearch7 import helpers as es7_helpers
from opensearchpy import OpenSearch, helpers

from conftest import Server


def _docs(index: str, count: int, start: int = 0) -> Iterator[dict]:
    for i in range(start, start + count):
        yield {"_index": index, "_id": str(i),
               "_source": {"message": f"GET /item/{i} 200", "status": 200 + i % 3,
                           "service": "web" if i % 2 else "api",
                           "@timestamp": f"2024-05-01T10:{i % 60:02d}:00Z"}}


@pytest.fixture
def opensearch(server: Server) -> Iterator[OpenSearch]:
    client = OpenSearch(hosts=[server.url], http_compress=True, timeout=30)
    yield client
    client.close()


@pytest.fixture(scope="module")
def elastic_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    instance = Server(tmp_path_factory.mktemp("elastic") / "data",
                      "--elastic-product-header").start()
    yield instance
    instance.stop()


MAPPINGS = {"properties": {"message": {"type": "text"}, "status": {"type": "integer"},
                           "service": {"type": "keyword"}, "@timestamp": {"type": "date"}}}


def test_opensearch_py_bulk_helpers_with_gzip(opensearch: OpenSearch, index_name: str) -> None:
    assert opensearch.info()["version"]["distribution"] == "opensearch"
    created = opensearch.indices.create(index=index_name, body={
        "settings": {"number_of_shards": 1, "number_of_replicas": 0}, "mappings": MAPPINGS})
    assert created == {"acknowledged": True, "shards_acknowledged": True, "index": index_name}
    assert opensearch.indices.exists(index=index_name)

    success, errors = helpers.bulk(opensearch, _docs(index_name, 300), chunk_size=100)
    assert (success, errors) == (300, [])
    streamed = list(helpers.streaming_bulk(opensearch, _docs(index_name, 100, 300),
                                           chunk_size=30))
    assert len(streamed) == 100 and all(ok for ok, _ in streamed)
    assert streamed[0][1]["index"]["result"] == "created"
    parallel = list(helpers.parallel_bulk(opensearch, _docs(index_name, 100, 400),
                                          thread_count=2, chunk_size=25))
    assert len(parallel) == 100 and all(ok for ok, _ in parallel)
    opensearch.indices.refresh(index=index_name)

    assert opensearch.cat.count(index=index_name, format="json")[0]["count"] == "500"
    stats = opensearch.indices.stats(index=index_name, metric="docs,indexing")
    assert stats["indices"][index_name]["primaries"]["docs"]["count"] == 500
    assert stats["indices"][index_name]["primaries"]["indexing"]["index_total"] == 500

    with pytest.raises(helpers.BulkIndexError) as failure:
        helpers.bulk(opensearch, [{"_index": index_name, "_id": "bad",
                                   "_source": {"status": "not a number"}}])
    (error,) = failure.value.errors
    assert error["index"]["status"] == 400
    assert error["index"]["error"]["type"] == "mapper_parsing_exception"


def test_opensearch_py_indices_cat_cluster_and_nodes(opensearch: OpenSearch,
                                                     index_name: str) -> None:
    opensearch.indices.create(index=index_name, body={"mappings": MAPPINGS})
    helpers.bulk(opensearch, _docs(index_name, 10), refresh=True)
    opensearch.indices.put_alias(index=index_name, name=f"{index_name}-read")
    opensearch.indices.put_mapping(index=index_name, body={"properties": {
        "user": {"type": "keyword"}}})
    assert opensearch.indices.get_mapping(index=index_name)[index_name]["mappings"][
        "properties"]["user"] == {"type": "keyword"}
    opensearch.indices.put_settings(index=index_name, body={"index": {"refresh_interval": "5s"}})
    assert opensearch.indices.get_settings(index=index_name)[index_name]["settings"]["index"][
        "refresh_interval"] == "5s"
    assert opensearch.indices.get_alias(name=f"{index_name}-read") == {
        index_name: {"aliases": {f"{index_name}-read": {}}}}

    rows = {r["index"]: r for r in opensearch.cat.indices(format="json")}
    assert rows[index_name]["docs.count"] == "10" and rows[index_name]["health"] == "green"
    assert opensearch.cat.health(format="json")[0]["status"] == "green"
    assert opensearch.cat.nodes(format="json")[0]["cluster_manager"] == "*"
    shards = opensearch.cat.shards(index=index_name, format="json")
    assert shards[0]["state"] == "STARTED" and shards[0]["docs"] == "10"
    assert sum(int(s["docs.count"]) for s in opensearch.cat.segments(
        index=index_name, format="json")) == 10
    assert {"opensearch-alerting", "opensearch-index-management", "opensearch-notifications",
            "opensearch-security", "opensearch-sql"} <= {
        row["component"] for row in opensearch.cat.plugins(format="json")}
    assert opensearch.cat.aliases(name=f"{index_name}-read", format="json")[0][
        "index"] == index_name

    assert opensearch.cluster.health(index=index_name)["status"] == "green"
    state = opensearch.cluster.state(metric="metadata", index=index_name)
    assert state["metadata"]["indices"][index_name]["state"] == "open"
    opensearch.cluster.put_settings(body={"transient": {"cluster.info.update.interval": "1m"}})
    assert opensearch.cluster.get_settings(flat_settings=True)["transient"] == {
        "cluster.info.update.interval": "1m"}
    opensearch.cluster.put_settings(body={"transient": {"cluster.info.update.interval": None}})
    assert opensearch.cluster.stats()["indices"]["docs"]["count"] >= 10
    (node,) = opensearch.nodes.info(node_id="_local")["nodes"].values()
    assert node["http"]["publish_address"].endswith(f":{opensearch.transport.hosts[0]['port']}")
    (node,) = opensearch.nodes.stats(metric="indices,os")["nodes"].values()
    assert node["indices"]["docs"]["count"] >= 10
    assert opensearch.tasks.list()["nodes"]
    resolved = opensearch.indices.resolve_index(name=f"{index_name}*")
    assert resolved["indices"][0]["aliases"] == [f"{index_name}-read"]
    tokens = opensearch.indices.analyze(body={"analyzer": "standard", "text": "Hello Loghaven"})
    assert [t["token"] for t in tokens["tokens"]] == ["hello", "loghaven"]
    assert opensearch.indices.delete(index=index_name) == {"acknowledged": True}
    assert not opensearch.indices.exists(index=index_name)


def test_opensearch_py_search_count_and_scan(opensearch: OpenSearch, index_name: str) -> None:
    opensearch.indices.create(index=index_name, body={"mappings": MAPPINGS})
    helpers.bulk(opensearch, _docs(index_name, 250), refresh=True)
    assert opensearch.count(index=index_name)["count"] == 250
    assert opensearch.count(index=index_name, body={"query": {"term": {"service": "web"}}})[
        "count"] == 125
    found = opensearch.search(index=index_name, body={
        "query": {"match": {"message": "item"}}, "size": 5, "sort": [{"status": "asc"}]})
    assert found["hits"]["total"]["value"] == 250 and len(found["hits"]["hits"]) == 5
    scanned = list(helpers.scan(opensearch, index=index_name, size=40,
                                query={"query": {"term": {"service": "api"}}}))
    assert len(scanned) == 125
    assert {hit["_id"] for hit in scanned} == {str(i) for i in range(0, 250, 2)}


class LogLine(opensearch_dsl.Document):
    message = opensearch_dsl.Text()
    service = opensearch_dsl.Keyword()
    status = opensearch_dsl.Integer()
    timestamp = opensearch_dsl.Date()


@pytest.fixture
def dsl(server: Server, index_name: str) -> Iterator[str]:
    """An opensearch-dsl default connection and the index LogLine documents go to."""
    opensearch_dsl.connections.create_connection(hosts=[server.url], http_compress=True)
    yield index_name
    opensearch_dsl.connections.remove_connection("default")


def test_opensearch_dsl_documents(dsl: str) -> None:
    LogLine.init(index=dsl)
    mapping = opensearch_dsl.Index(dsl).get_mapping()[dsl]["mappings"]["properties"]
    assert mapping["service"] == {"type": "keyword"} and mapping["status"] == {
        "type": "integer"}
    for i in range(5):
        LogLine(meta={"id": str(i)}, message=f"request {i}", service="web",
                status=200 + i).save(index=dsl)
    line = LogLine.get(id="3", index=dsl)
    assert line.message == "request 3" and line.status == 203
    line.update(status=500, index=dsl)
    assert LogLine.get(id="3", index=dsl).status == 500
    LogLine.get(id="4", index=dsl).delete(index=dsl)
    assert LogLine.exists(id="4", index=dsl) is False
    opensearch_dsl.Index(dsl).refresh()
    assert opensearch_dsl.Index(dsl).exists()


def test_opensearch_dsl_search(dsl: str) -> None:
    LogLine.init(index=dsl)
    for i in range(20):
        LogLine(message=f"request {i}", service="web" if i < 15 else "api",
                status=500 if i % 5 == 0 else 200).save(index=dsl, refresh=True)
    search = LogLine.search(index=dsl).filter("term", service="web").query(
        "match", message="request")
    assert search.count() == 15
    response = search.sort("-status")[:3].execute()
    assert response.hits.total.value == 15 and len(response) == 3
    assert response[0].status == 500
    assert len(list(LogLine.search(index=dsl).scan())) == 20


def test_elasticsearch7_client(elastic_server: Server) -> None:
    client = elasticsearch7.Elasticsearch([elastic_server.url])
    index = f"es7-{uuid.uuid4().hex[:8]}"
    assert client.info()["version"]["number"].startswith("7.")
    client.indices.create(index=index, mappings=MAPPINGS)
    success, errors = es7_helpers.bulk(client, _docs(index, 120))
    assert (success, errors) == (120, [])
    client.indices.refresh(index=index)
    assert client.get(index=index, id="7")["_source"]["status"] == 201
    assert client.cat.count(index=index, format="json")[0]["count"] == "120"
    assert client.indices.stats(index=index)["indices"][index]["primaries"]["docs"][
        "count"] == 120
    assert client.cluster.health()["status"] == "green"
    assert client.nodes.info()["_nodes"]["total"] == 1
    client.indices.delete(index=index)


def test_elasticsearch7_search_and_scan(elastic_server: Server) -> None:
    client = elasticsearch7.Elasticsearch([elastic_server.url])
    index = f"es7-{uuid.uuid4().hex[:8]}"
    es7_helpers.bulk(client, _docs(index, 120), refresh=True)
    assert client.count(index=index)["count"] == 120
    found = client.search(index=index, query={"term": {"service": "api"}})
    assert found["hits"]["total"]["value"] == 60
    assert len(list(es7_helpers.scan(client, index=index, size=25))) == 120


def test_elasticsearch8_client_with_vendor_media_types(elastic_server: Server) -> None:
    client = elasticsearch.Elasticsearch(elastic_server.url)
    index = f"es8-{uuid.uuid4().hex[:8]}"
    info = client.info()
    assert info.meta.headers["x-elastic-product"] == "Elasticsearch"
    assert info.meta.headers["content-type"].startswith(
        "application/vnd.elasticsearch+json; compatible-with=8")
    client.indices.create(index=index, mappings=MAPPINGS)
    success, errors = es8_helpers.bulk(client, _docs(index, 150))
    assert (success, errors) == (150, [])
    client.indices.refresh(index=index)
    assert client.get(index=index, id="3")["_source"]["service"] == "web"
    assert client.cat.count(index=index, format="json")[0]["count"] == "150"
    assert client.indices.get_mapping(index=index)[index]["mappings"]["properties"][
        "service"] == {"type": "keyword"}
    assert client.nodes.stats(metric="indices")["_nodes"]["successful"] == 1
    assert client.indices.analyze(analyzer="whitespace", text="a B")["tokens"][1]["token"] == "B"
    client.indices.delete(index=index)


def test_elasticsearch8_search_and_scan(elastic_server: Server) -> None:
    client = elasticsearch.Elasticsearch(elastic_server.url)
    index = f"es8-{uuid.uuid4().hex[:8]}"
    es8_helpers.bulk(client, _docs(index, 90), refresh=True)
    assert client.count(index=index)["count"] == 90
    found = client.search(index=index, query={"match": {"message": "item"}}, size=3)
    assert found["hits"]["total"]["value"] == 90 and len(found["hits"]["hits"]) == 3
    assert len(list(es8_helpers.scan(client, index=index, size=20))) == 90


def test_elasticsearch8_refuses_a_server_without_the_product_header(server: Server) -> None:
    client = elasticsearch.Elasticsearch(server.url)
    with pytest.raises(elasticsearch.UnsupportedProductError):
        client.info()


def _product_header(server: Server) -> str | None:
    server.data_dir.parent.mkdir(parents=True, exist_ok=True)
    server.start()
    try:
        response = httpx.get(server.url + "/_cluster/health")
        assert response.status_code == 200
        return response.headers.get("x-elastic-product")
    finally:
        server.stop()


def test_product_header_setting_three_ways_and_off_by_default(tmp_path: Path) -> None:
    assert _product_header(Server(tmp_path / "default" / "data")) is None
    assert _product_header(Server(tmp_path / "flag" / "data",
                                  "--elastic-product-header")) == "Elasticsearch"
    assert _product_header(Server(tmp_path / "env" / "data", env={
        "LOGHAVEN_ELASTIC_PRODUCT_HEADER": "1"})) == "Elasticsearch"
    (tmp_path / "yml").mkdir()
    (tmp_path / "yml" / "loghaven.yml").write_text("http:\n  elastic_product_header: true\n")
    assert _product_header(Server(tmp_path / "yml" / "data")) == "Elasticsearch"
