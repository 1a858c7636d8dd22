"""SQL and PPL run as the caller: index permissions refuse what ``_search`` refuses, and
document- and field-level security restrict the rows and columns exactly as they restrict
``_search``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from tests.security.conftest import SecureServer, role_user
from tests.sql.service_data import load_over_http

INDEX = "sqlsec_logs"
OTHER = "sqlsec_other"
TEAMS = ("red", "blue", "green")
DOCS = [{"n": n, "team": TEAMS[n % 3], "secret": f"s{n}", "msg": f"event {n}"}
        for n in range(30)]
MAPPING = {"properties": {"n": {"type": "long"}, "team": {"type": "keyword"},
                          "secret": {"type": "keyword"}, "msg": {"type": "keyword"}}}
RED_NO_SECRET = {"index_patterns": [INDEX], "allowed_actions": ["read"],
                 "dls": orjson.dumps({"term": {"team": "red"}}).decode(), "fls": ["~secret"]}
RED = [d for d in DOCS if d["team"] == "red"]


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureServer]:
    instance = SecureServer(Path(tmp_path_factory.mktemp("sqlsec")) / "data").start()
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def admin(secure: SecureServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=secure.url, auth=secure.auth, timeout=60) as client:
        for index in (INDEX, OTHER):
            load_over_http(client, index, MAPPING, DOCS)
        yield client


@pytest.fixture(scope="module")
def carol(secure: SecureServer, admin: httpx.Client) -> Iterator[httpx.Client]:
    """Reads the red team's documents of INDEX without ``secret``; no PPL, no other index."""
    with role_user(secure, admin, "carol", {"index_permissions": [RED_NO_SECRET]}) as client:
        yield client


@pytest.fixture(scope="module")
def pat(secure: SecureServer, admin: httpx.Client) -> Iterator[httpx.Client]:
    """As carol, and allowed PPL."""
    with role_user(secure, admin, "pat", {"cluster_permissions": ["cluster:admin/opensearch/ppl"],
                                          "index_permissions": [RED_NO_SECRET]}) as client:
        yield client


def sql(client: httpx.Client, query: str, **fields: Any) -> httpx.Response:
    return client.post("/_plugins/_sql/", json={"query": query, **fields})


def test_sql_rows_and_columns_are_what_search_shows(carol: httpx.Client) -> None:
    answer = sql(carol, f"SELECT * FROM {INDEX}")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    columns = [c["name"] for c in body["schema"]]
    assert sorted(columns) == ["msg", "n", "team"]
    rows = [dict(zip(columns, row, strict=True)) for row in body["datarows"]]
    searched = carol.post(f"/{INDEX}/_search", json={"size": 100}).json()["hits"]["hits"]
    assert sorted(rows, key=lambda r: r["n"]) == sorted(
        (h["_source"] for h in searched), key=lambda s: s["n"])
    assert sorted(r["n"] for r in rows) == [d["n"] for d in RED]


def test_aggregations_and_cursor_pages_see_only_the_allowed_rows(carol: httpx.Client) -> None:
    grouped = sql(carol, f"SELECT team, COUNT(*) FROM {INDEX} GROUP BY team").json()
    assert grouped["datarows"] == [["red", len(RED)]]
    count = carol.post(f"/{INDEX}/_count").json()["count"]
    assert sql(carol, f"SELECT COUNT(*) FROM {INDEX}").json()["datarows"] == [[count]]
    first = sql(carol, f"SELECT n FROM {INDEX}", fetch_size=4).json()
    rows = list(first["datarows"])
    cursor = first.get("cursor")
    while cursor:
        page = carol.post("/_plugins/_sql/", json={"cursor": cursor}).json()
        rows += page["datarows"]
        cursor = page.get("cursor")
    assert sorted(r[0] for r in rows) == [d["n"] for d in RED]


def test_a_hidden_field_is_no_column(carol: httpx.Client) -> None:
    refused = sql(carol, f"SELECT n, secret FROM {INDEX}")
    assert refused.status_code == 400, refused.text
    assert set(refused.json()["error"]) == {"reason", "details", "type"}


def test_an_index_without_read_is_refused_as_search_refuses_it(carol: httpx.Client) -> None:
    refused = sql(carol, f"SELECT n FROM {OTHER}")
    searched = carol.post(f"/{OTHER}/_search")
    assert searched.status_code == refused.status_code == 403, refused.text
    error = refused.json()["error"]
    assert error["type"] == "security_exception" and "root_cause" in error
    assert "indices:data/read/search" in error["reason"]


def test_ppl_needs_its_cluster_permission_then_applies_dls_and_fls(
        carol: httpx.Client, pat: httpx.Client) -> None:
    query = {"query": f"source={INDEX} | stats count() by team"}
    refused = carol.post("/_plugins/_ppl", json=query)
    assert refused.status_code == 403
    assert "cluster:admin/opensearch/ppl" in refused.json()["error"]["reason"]
    answer = pat.post("/_plugins/_ppl", json=query)
    assert answer.status_code == 200, answer.text
    assert answer.json()["datarows"] == [[len(RED), "red"]]
    fields = pat.post("/_plugins/_ppl", json={"query": f"source={INDEX} | fields n, secret"})
    assert fields.status_code == 400, fields.text


def test_settings_need_the_cluster_settings_permission(carol: httpx.Client,
                                                       admin: httpx.Client) -> None:
    body = {"transient": {"plugins.query.size_limit": 50}}
    assert carol.put("/_plugins/_query/settings", json=body).status_code == 403
    assert admin.put("/_plugins/_query/settings", json=body).status_code == 200
    assert admin.put("/_plugins/_query/settings", json={
        "transient": {"plugins.query.size_limit": None}}).status_code == 200


def test_without_credentials_nothing_runs(secure: SecureServer) -> None:
    answer = httpx.post(secure.url + "/_plugins/_sql", json={"query": f"SELECT n FROM {INDEX}"})
    assert answer.status_code == 401
    assert answer.json()["error"]["type"] == "security_exception"
