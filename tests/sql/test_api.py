"""The SQL plugin's REST API against a real server: every endpoint and format, cursor paging,
errors in the plugin's shape, settings, and what SQL clients check before they start."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import Server
from tests.sql.service_data import load_over_http

INDEX = "sqlapi_waf"
COUNTRIES = ("DE", "FR", "US")
NOTES = {0: "=HYPERLINK(\"http://x\")", 1: "-2+3", 2: "@SUM(A1)", 3: "+cmd, with comma"}
DOCS = [{"n": n, "ip": f"10.0.0.{n % 7}", "country": COUNTRIES[n % 3], "bytes": n * 100,
         "note": NOTES.get(n, f"note {n}"), "ts": f"2018-12-{1 + n % 28:02d}T10:00:00Z"}
        for n in range(23)]
MAPPING = {"properties": {"n": {"type": "long"}, "ip": {"type": "keyword"},
                          "country": {"type": "keyword"}, "bytes": {"type": "long"},
                          "note": {"type": "keyword"}, "ts": {"type": "date"}}}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    instance = Server(Path(tmp_path_factory.mktemp("sqlapi")) / "data").start()
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def es(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        load_over_http(client, INDEX, MAPPING, DOCS)
        yield client


def sql(es: httpx.Client, body: dict[str, Any], path: str = "/_plugins/_sql",
        **params: str) -> httpx.Response:
    return es.post(path, json=body, params=params)


def page_through(es: httpx.Client, first: dict[str, Any]) -> tuple[list[list[Any]], int]:
    """Every row of a cursor-paged answer, and how many continuation pages it took."""
    rows = list(first["datarows"])
    cursor, pages = first.get("cursor"), 0
    while cursor:
        page = sql(es, {"cursor": cursor})
        assert page.status_code == 200, page.text
        body = page.json()
        assert set(body) <= {"datarows", "cursor"}, body  # continuation: rows (and cursor)
        rows += body["datarows"]
        cursor, pages = body.get("cursor"), pages + 1
    return rows, pages


@pytest.mark.parametrize("path", ["/_plugins/_sql", "/_plugins/_sql/", "/_opendistro/_sql",
                                  "/_opendistro/_sql/"])
def test_jdbc_is_the_default_at_every_path(es: httpx.Client, path: str) -> None:
    response = es.post(path, json={"query": f"SELECT n, ip FROM {INDEX} WHERE n < 3 ORDER BY n"},
                       follow_redirects=False)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {
        "schema": [{"name": "n", "type": "long"}, {"name": "ip", "type": "keyword"}],
        "datarows": [[0, "10.0.0.0"], [1, "10.0.0.1"], [2, "10.0.0.2"]],
        "total": 3, "size": 3, "status": 200}


def test_aliases_are_in_the_schema(es: httpx.Client) -> None:
    body = sql(es, {"query": f"SELECT country AS c, COUNT(*) AS hits FROM {INDEX} "
                             f"GROUP BY country ORDER BY c"}).json()
    assert body["schema"] == [{"name": "country", "alias": "c", "type": "keyword"},
                              {"name": "COUNT(*)", "alias": "hits", "type": "integer"}]
    assert body["datarows"] == [["DE", 8], ["FR", 8], ["US", 7]]


def test_a_cursor_pages_every_row_exactly_once(es: httpx.Client) -> None:
    first = sql(es, {"query": f"SELECT n, ip FROM {INDEX}", "fetch_size": 5}).json()
    assert first["size"] == 5 and first["total"] == 23 and "cursor" in first
    assert [c["name"] for c in first["schema"]] == ["n", "ip"]
    rows, pages = page_through(es, first)
    assert pages == 4
    assert sorted(row[0] for row in rows) == list(range(23))
    assert all(row[1] == f"10.0.0.{row[0] % 7}" for row in rows)


def test_fetch_size_as_a_string_pages_too(es: httpx.Client) -> None:
    first = sql(es, {"query": f"SELECT n FROM {INDEX} ORDER BY n", "fetch_size": "10"}).json()
    rows, _ = page_through(es, first)
    assert [row[0] for row in rows] == list(range(23))


def test_a_cursor_pages_a_group_by_every_group_once(es: httpx.Client) -> None:
    first = sql(es, {"query": f"SELECT ip, COUNT(*) AS c FROM {INDEX} GROUP BY ip",
                     "fetch_size": 3}).json()
    rows, pages = page_through(es, first)
    assert pages >= 2
    search = es.post(f"/{INDEX}/_search", json={"size": 0, "aggs": {
        "ips": {"terms": {"field": "ip", "size": 100}}}}).json()
    expected = {b["key"]: b["doc_count"] for b in search["aggregations"]["ips"]["buckets"]}
    assert len(rows) == len(expected) == 7
    assert {row[0]: row[1] for row in rows} == expected


def test_close_frees_a_cursor(es: httpx.Client) -> None:
    for path in ("/_plugins/_sql/close", "/_opendistro/_sql/close/"):
        first = sql(es, {"query": f"SELECT n FROM {INDEX}", "fetch_size": 2}).json()
        closing = es.post(path, json={"cursor": first["cursor"]})
        assert (closing.status_code, closing.json()) == (200, {"succeeded": True})
        after = sql(es, {"cursor": first["cursor"]})
        assert after.status_code >= 400
        assert set(after.json()) == {"error", "status"}
        assert set(after.json()["error"]) == {"reason", "details", "type"}
    assert es.post("/_plugins/_sql/close", json={}).status_code == 400


def test_filter_and_parameters(es: httpx.Client) -> None:
    filtered = sql(es, {"query": f"SELECT n FROM {INDEX} ORDER BY n",
                        "filter": {"range": {"n": {"lt": 4}}}}).json()
    assert filtered["datarows"] == [[0], [1], [2], [3]]
    bound = sql(es, {"query": f"SELECT n, country FROM {INDEX} WHERE n = ?",
                     "parameters": [{"type": "integer", "value": 7}]}).json()
    assert bound["datarows"] == [[7, "FR"]]


def test_explain_shows_the_search_it_becomes(es: httpx.Client) -> None:
    for path in ("/_plugins/_sql/_explain", "/_plugins/_sql/_explain/"):
        response = es.post(path, json={"query": f"SELECT ip FROM {INDEX} WHERE country = 'DE'"})
        assert response.status_code == 200, response.text
        text = response.text
        assert INDEX in text and "DE" in text
    refused = es.post("/_plugins/_sql/_explain", json={"cursor": "n:abc"})
    assert refused.status_code == 400
    assert refused.json()["error"]["details"] == "Invalid request. Cannot explain cursor"


def test_stats_count_requests(es: httpx.Client) -> None:
    before = es.get("/_plugins/_sql/stats").json()
    assert sql(es, {"query": f"SELECT n FROM {INDEX} LIMIT 1"}).status_code == 200
    after = es.post("/_plugins/_sql/stats").json()
    assert after["request_total"] == before["request_total"] + 1
    assert after["failed_request_count_cuserr"] == before["failed_request_count_cuserr"]
    # a malformed body and a query the service refuses are both bad requests
    es.post("/_plugins/_sql/", content=b"{", headers={"content-type": "application/json"})
    sql(es, {"query": "SELECT nothing FROM sqlapi_nowhere"})
    failed = es.get("/_plugins/_sql/stats").json()
    assert failed["request_total"] == after["request_total"] + 2
    assert failed["failed_request_count_cuserr"] == after["failed_request_count_cuserr"] + 2


def test_csv_sanitises_formula_cells(es: httpx.Client) -> None:
    query = {"query": f"SELECT n, note FROM {INDEX} WHERE n < 4 ORDER BY n"}
    response = sql(es, query, format="csv")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.splitlines() == [
        "n,note", "0,\"'=HYPERLINK(\"\"http://x\"\")\"", "1,'-2+3", "2,'@SUM(A1)",
        "3,\"'+cmd, with comma\""]
    plain = sql(es, query, format="csv", sanitize="false").text
    assert plain.splitlines() == ["n,note", "0,\"=HYPERLINK(\"\"http://x\"\")\"", "1,-2+3",
                                  "2,@SUM(A1)", "3,\"+cmd, with comma\""]


def test_raw_and_json(es: httpx.Client) -> None:
    # json: the search response a query answered by one search came from
    query = {"query": f"SELECT n, country FROM {INDEX} WHERE n < 3 ORDER BY n LIMIT 5"}
    raw = sql(es, query, format="raw")
    assert raw.status_code == 200 and raw.text.splitlines() == [
        "n|country", "0|DE", "1|FR", "2|US"]
    native = sql(es, query, format="json")
    assert native.status_code == 200, native.text
    hits = native.json()["hits"]
    assert sorted(h["_source"]["n"] for h in hits["hits"]) == [0, 1, 2]


def test_malformed_bodies_are_the_plugin_s_400(es: httpx.Client) -> None:
    payload_error = {"error": {"reason": "Invalid SQL query",
                               "details": "Failed to parse request payload",
                               "type": "IllegalArgumentException"}, "status": 400}
    bad_json = es.post("/_plugins/_sql", content=b"{not json",
                       headers={"content-type": "application/json"})
    assert (bad_json.status_code, bad_json.json()) == (400, payload_error)
    no_query = sql(es, {"fetch_size": 5})
    assert (no_query.status_code, no_query.json()) == (400, payload_error)
    negative = sql(es, {"query": f"SELECT n FROM {INDEX}", "fetch_size": -1})
    assert negative.status_code == 400
    assert negative.json()["error"]["details"] == "Fetch_size must be greater or equal to 0"
    unknown = sql(es, {"query": f"SELECT n FROM {INDEX}"}, format="yaml")
    assert unknown.status_code == 400
    assert unknown.json()["error"]["details"] == "response in yaml format is not supported."


def test_errors_of_the_query_and_the_engine(es: httpx.Client) -> None:
    syntax = sql(es, {"query": "SELEC n FROM x"})
    assert syntax.status_code == 400
    assert syntax.json()["error"]["type"] == "SyntaxCheckException"
    missing = sql(es, {"query": "SELECT a FROM sqlapi_nowhere"})
    assert missing.status_code == 404, missing.text
    error = missing.json()["error"]
    assert missing.json()["status"] == 404
    assert error["type"] == "IndexNotFoundException"
    assert error["reason"] == "Error occurred in OpenSearch engine: no such index " \
                              "[sqlapi_nowhere]"
    assert error["details"].startswith("[sqlapi_nowhere] IndexNotFoundException[no such index")


def test_sql_clients_see_the_plugin_and_its_settings(es: httpx.Client) -> None:
    plugins = es.get("/_cat/plugins?format=json").json()
    assert {"name": "loghaven-1", "component": "opensearch-sql", "version": "2.11.0.0"} \
        in plugins
    nodes = es.get("/_nodes/plugins").json()["nodes"]
    assert "opensearch-sql" in {p["name"] for node in nodes.values() for p in node["plugins"]}
    defaults = es.get("/_cluster/settings", params={"include_defaults": "true",
                                                    "flat_settings": "true"}).json()["defaults"]
    assert defaults["plugins.query.size_limit"] == "10000"
    assert defaults["plugins.sql.enabled"] == "true"


def test_query_settings_take_only_the_plugin_s_keys(es: httpx.Client) -> None:
    response = es.put("/_plugins/_query/settings", json={"transient": {
        "plugins.query.size_limit": 5, "cluster.routing.allocation.enable": "none"}})
    assert response.status_code == 200, response.text
    assert response.json() == {"acknowledged": True, "persistent": {},
                               "transient": {"plugins": {"query": {"size_limit": "5"}}}}
    try:
        flat = es.get("/_cluster/settings?flat_settings=true").json()["transient"]
        assert flat == {"plugins.query.size_limit": "5"}
        refused = sql(es, {"query": f"SELECT n FROM {INDEX}"})
        assert refused.status_code == 400
        assert "plugins.query.size_limit" in refused.json()["error"]["details"]
    finally:
        reset = es.put("/_opendistro/_query/settings/",
                       json={"transient": {"plugins.query.size_limit": None}})
        assert reset.status_code == 200, reset.text
    assert len(sql(es, {"query": f"SELECT n FROM {INDEX}"}).json()["datarows"]) == 23
    nothing = es.put("/_plugins/_query/settings", json={"persistent": {"indices.x": 1}})
    assert nothing.status_code == 400


def test_disabled_sql_is_refused(es: httpx.Client) -> None:
    es.put("/_plugins/_query/settings", json={"transient": {"plugins.sql.enabled": False}})
    try:
        refused = sql(es, {"query": f"SELECT n FROM {INDEX}"})
        assert refused.status_code >= 400
        assert refused.json()["error"]["type"] == "SQLFeatureDisabledException"
    finally:
        es.put("/_plugins/_query/settings", json={"transient": {"plugins.sql.enabled": None}})
    assert sql(es, {"query": f"SELECT n FROM {INDEX} LIMIT 1"}).status_code == 200


def test_ppl(es: httpx.Client) -> None:
    for path in ("/_plugins/_ppl", "/_plugins/_ppl/", "/_opendistro/_ppl"):
        response = es.post(path, json={
            "query": f"source={INDEX} | where country = 'DE' | stats count() by ip"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert sum(row[0] for row in body["datarows"]) == 8
        # PPL's columns carry their names, no alias (the plugin's PPL schema)
        assert [c["name"] for c in body["schema"]] == ["count()", "ip"]
        assert all("alias" not in c for c in body["schema"])
    explained = es.post("/_plugins/_ppl/_explain",
                        json={"query": f"source={INDEX} | where n > 20 | fields n"})
    assert explained.status_code == 200, explained.text
    assert INDEX in explained.text
    csv = es.post("/_plugins/_ppl?format=csv",
                  json={"query": f"source={INDEX} | where n < 2 | sort n | fields n, note"})
    assert csv.text.splitlines() == ["n,note", "0,\"'=HYPERLINK(\"\"http://x\"\")\"", "1,'-2+3"]
    viz = es.post("/_plugins/_ppl?format=viz",
                  json={"query": f"source={INDEX} | where n < 3 | sort n | fields n, country"})
    assert viz.json() == {"data": {"n": [0, 1, 2], "country": ["DE", "FR", "US"]},
                          "fields": [{"name": "n", "type": "long"},
                                     {"name": "country", "type": "keyword"}],
                          "size": 3, "status": 200}
    refused = es.post("/_plugins/_ppl?format=json", json={"query": f"source={INDEX}"})
    assert refused.status_code == 400
    assert refused.json()["error"]["reason"] == "Invalid Query"
