"""The audit indices are the node's: a grant on ``*`` (or an alias) neither reads nor writes
them; a role that names ``security-auditlog-*`` reads them and deletes whole days, and nobody
but the node writes. The metrics history is read through ``*`` but written by nobody either
(the logs' protection is tested with the slow logs, tests/ops/test_slowlog_secure.py)."""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator

import httpx
import pytest

from conftest import wait_for

from .conftest import SecureServer, role_user

#: Everything on every index, through ``*`` only.
WIDE = {"cluster_permissions": ["cluster_all", "cluster_composite_ops"],
        "index_permissions": [{"index_patterns": ["*"], "allowed_actions": ["*"]}]}
#: Reading the audit log, by its name; and everything on ``*`` besides.
AUDITOR = {"cluster_permissions": ["cluster_composite_ops"], "index_permissions": [
    {"index_patterns": ["security-auditlog-*"], "allowed_actions": ["*"]},
    {"index_patterns": ["*"], "allowed_actions": ["*"]}]}
NDJSON = {"content-type": "application/x-ndjson"}


def today() -> str:
    return "security-auditlog-" + datetime.datetime.now(datetime.UTC).strftime("%Y.%m.%d")


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureServer]:
    """The module's secure server, sampling its metrics history every second."""
    instance = SecureServer(tmp_path_factory.mktemp("secure") / "data")
    instance.env = {**instance.env, "LOGHAVEN_OPS_METRICS_INTERVAL": "1s"}
    yield instance.start()
    instance.stop()


@pytest.fixture(scope="module")
def users(secure: SecureServer) -> Iterator[dict[str, httpx.Client]]:
    with httpx.Client(base_url=secure.url, timeout=30, auth=secure.auth) as admin:
        clients = {name: role_user(secure, admin, name, role)
                   for name, role in (("wide", WIDE), ("auditor", AUDITOR))}
        clients["admin"] = admin
        # a failed login: the audit flush writes it to today's index within seconds
        assert httpx.get(secure.url + "/", auth=("wide", "wrong"), timeout=30).status_code == 401
        deadline = time.monotonic() + 20
        while clients["auditor"].get(f"/{today()}/_count").json().get("count", 0) < 1:
            assert time.monotonic() < deadline, "no audit index after 20 s"
            time.sleep(0.2)
        yield clients
        for client in clients.values():
            client.close()


def test_a_grant_on_star_does_not_read_the_audit_log(users: dict[str, httpx.Client]) -> None:
    for name in ("wide", "admin"):
        client = users[name]
        denied = client.get(f"/{today()}/_search")
        assert denied.status_code == 403, name
        assert denied.json()["error"]["type"] == "security_exception"
        assert client.get("/security-auditlog-*/_search?expand_wildcards=all").json()[
            "hits"]["total"]["value"] == 0
        assert client.get(f"/{today()}/_doc/x").status_code == 403
        assert client.get(f"/{today()}/_mapping").status_code == 403
    auditor = users["auditor"]
    found = auditor.get("/security-auditlog-*/_search?expand_wildcards=all").json()
    assert found["hits"]["total"]["value"] >= 1
    assert found["hits"]["hits"][0]["_index"] == today()


def test_nobody_writes_the_audit_log(users: dict[str, httpx.Client]) -> None:
    index = today()
    for name in ("wide", "auditor", "admin"):
        client = users[name]
        assert client.post(f"/{index}/_doc", json={"audit_category": "FAKE"}
                           ).status_code == 403, name
        bulk = client.post("/_bulk", headers=NDJSON,
                           content=f'{{"index":{{"_index":"{index}"}}}}\n{{"a":1}}\n'.encode())
        assert bulk.status_code == 200, (name, bulk.text)
        assert bulk.json()["items"][0]["index"]["status"] == 403, name
        assert client.post(f"/{index}/_delete_by_query",
                           json={"query": {"match_all": {}}}).status_code == 403, name
        if name != "auditor":
            assert client.delete(f"/{index}").status_code == 403, name
        assert client.put(f"/{index}/_mapping", json={
            "properties": {"x": {"type": "keyword"}}}).status_code == 403, name
        assert client.put("/security-auditlog-2000.01.01").status_code == 403, name
    # an alias that reaches the audit index gives nothing through a grant on the alias
    wide = users["wide"]
    assert wide.post("/_aliases", json={"actions": [
        {"add": {"index": index, "alias": "peek"}}]}).status_code == 403
    assert users["admin"].post("/_aliases", json={"actions": [
        {"add": {"index": index, "alias": "peek"}}]}).status_code == 403


def test_the_metrics_history_is_read_through_star_and_written_by_nobody(
        users: dict[str, httpx.Client]) -> None:
    """Dashboards and monitors chart the node's figures with ordinary grants; a written or
    deleted sample could silence an alarm, so no grant on ``*`` changes them."""
    wide = users["wide"]

    def samples() -> list[dict]:
        return wide.post("/.loghaven-metrics-*/_search", json={"size": 5}).json()[
            "hits"]["hits"]

    day = wait_for(samples, timeout=30, what="a metrics sample")[0]["_index"]
    for name in ("wide", "admin"):
        client = users[name]
        assert client.post(f"/{day}/_doc", json={"FreeStorageSpace": 1e9}
                           ).status_code == 403, name
        assert client.post(f"/{day}/_delete_by_query", json={"query": {"match_all": {}}}
                           ).status_code == 403, name
        assert client.delete(f"/{day}").status_code == 403, name
        assert client.put("/.loghaven-metrics-2000.01.01").status_code == 403, name


def test_a_role_naming_the_audit_log_deletes_whole_days(users: dict[str, httpx.Client]) -> None:
    """Retention: a day of the audit log goes whole, by a role that names the audit indices
    (nobody can delete single events, see above). Runs last: it deletes today's index."""
    index = today()
    # (the audit flush may create the day again at once, from the events still queued)
    assert users["auditor"].delete(f"/{index}").json() == {"acknowledged": True}
