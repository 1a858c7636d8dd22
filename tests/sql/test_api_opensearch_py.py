"""opensearch-py's SQL and PPL clients (``client.sql``, ``client.ppl``) against the server:
the paths, methods and bodies a client written by others sends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from opensearchpy import OpenSearch, TransportError
from tests.conftest import Server

INDEX = "sqlpy_events"
DOCS = [{"n": n, "kind": ("login", "logout", "error")[n % 3], "ms": n * 7} for n in range(14)]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenSearch]:
    server = Server(Path(tmp_path_factory.mktemp("sqlpy")) / "data").start()
    client = OpenSearch(hosts=[server.url], timeout=60)
    client.indices.create(index=INDEX, body={"mappings": {"properties": {
        "n": {"type": "long"}, "kind": {"type": "keyword"}, "ms": {"type": "long"}}}})
    for doc in DOCS:
        client.index(index=INDEX, id=str(doc["n"]), body=doc)
    client.indices.refresh(index=INDEX)
    yield client
    client.close()
    server.stop()


def test_sql_query_pages_and_formats(client: OpenSearch) -> None:
    first = client.sql.query(body={"query": f"SELECT n FROM {INDEX}", "fetch_size": 4})
    rows = list(first["datarows"])
    cursor = first.get("cursor")
    while cursor:
        page = client.sql.query(body={"cursor": cursor})
        rows += page["datarows"]
        cursor = page.get("cursor")
    assert sorted(r[0] for r in rows) == list(range(14))
    text = client.sql.query(body={"query": f"SELECT kind, COUNT(*) AS c FROM {INDEX} "
                                           f"GROUP BY kind ORDER BY kind"},
                            params={"format": "csv"})
    assert text.splitlines() == ["kind,c", "error,4", "login,5", "logout,5"]


def test_close_explain_stats_settings(client: OpenSearch) -> None:
    first = client.sql.query(body={"query": f"SELECT n FROM {INDEX}", "fetch_size": 2})
    assert client.sql.close(body={"cursor": first["cursor"]}) == {"succeeded": True}
    plan = client.sql.explain(body={"query": f"SELECT n FROM {INDEX} WHERE kind = 'error'"})
    assert INDEX in str(plan) and "error" in str(plan)
    before = client.sql.get_stats()["request_total"]
    client.ppl.query(body={"query": f"source={INDEX} | where ms > 50 | fields n"})
    assert client.ppl.get_stats()["request_total"] == before + 1
    assert client.sql.post_stats()["request_total"] == before + 1
    applied = client.sql.settings(body={"transient": {"plugins.sql.cursor.keep_alive": "2m"}})
    assert applied["transient"] == {"plugins": {"sql": {"cursor": {"keep_alive": "2m"}}}}
    client.sql.settings(body={"transient": {"plugins.sql.cursor.keep_alive": None}})


def test_ppl_query_and_explain(client: OpenSearch) -> None:
    answer = client.ppl.query(body={"query": f"source={INDEX} | where ms > 50 | fields n"})
    assert sorted(r[0] for r in answer["datarows"]) == [d["n"] for d in DOCS if d["ms"] > 50]
    assert INDEX in str(client.ppl.explain(body={"query": f"source={INDEX} | fields n"}))


def test_errors_reach_the_client_with_the_plugin_s_body(client: OpenSearch) -> None:
    with pytest.raises(TransportError) as missing:
        client.sql.query(body={"query": "SELECT n FROM sqlpy_missing"})
    assert missing.value.status_code == 404
    assert missing.value.info["error"]["type"] == "IndexNotFoundException"
