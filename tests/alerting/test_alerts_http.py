"""The alerts and findings REST API over HTTP, on alerts and findings written through the
stores: OpenSearch's Get alerts filters, sorting and paging, ``_acknowledge/alerts`` (also
under ``_opendistro``), ``findings/_search`` with the matched documents, and the history
reachable with the normal search API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.alerting.test_alerts_store import alert

from conftest import Server
from loghaven.alerting.monitors import parse_monitor
from loghaven.config import Config
from loghaven.engine.documents_state import WriteRequest
from loghaven.node import Node

BASE = "/_plugins/_alerting/monitors"
#: Epoch milliseconds (a 4-digit number in a date field reads as a year, as in ES).
T = 1_767_225_600_000


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict]]:
    """Alerts of three monitors (one completed, one deleted into the history) and two
    findings, written through the stores before the server starts on the same data."""
    data = tmp_path_factory.mktemp("alerts") / "data"
    node = Node(Config(data_dir=data, ingest_workers=0))
    alerts = {
        "cpu": alert("m-cpu", "cpu above 90", monitor_name="IoT CPU", severity="1",
                     start_time=T + 3_000, monitor_user={"name": "alice", "backend_roles": [],
                                                     "roles": [], "custom_attribute_names": []}),
        "cpu_low": alert("m-cpu", "cpu below 10", monitor_name="IoT CPU", severity="3",
                         start_time=T + 1_000),
        "waf": alert("m-waf", "blocked per ip", monitor_name="WAF blocked", severity="2",
                     start_time=T + 2_000, agg_alert_content={
                         "parent_bucket_path": "composite_agg", "bucket_keys": ["10.0.0.1"],
                         "bucket": {"doc_count": 12}}),
        "err": alert("m-waf", "blocked per ip", monitor_name="WAF blocked", state="ERROR",
                     error_message="query failed", start_time=T + 4_000),
        "done": alert("m-disk", "disk full", monitor_name="Disk", state="COMPLETED",
                      start_time=T + 500, end_time=T + 900),
    }
    node.alerts.save(list(alerts.values()))
    for monitor_id, name in (("m-cpu", "IoT CPU"), ("m-waf", "WAF blocked")):
        node.alerting.store.put(monitor_id, parse_monitor({
            "type": "monitor", "name": name, "enabled": False,
            "schedule": {"period": {"interval": 1, "unit": "MINUTES"}},
            "inputs": [{"search": {"indices": ["waf-logs"], "query": {"size": 0}}}],
            "triggers": []}, now_ms=T, user=None), create=True)
    node.write_service.write_document("waf-logs", WriteRequest(
        "index", doc_id="r1", source=b'{"action":"BLOCK","ip":"10.0.0.1"}'), refresh="true")
    findings = [{"id": "f1", "related_doc_ids": ["r1"], "correlated_doc_ids": [],
                 "monitor_id": "m-doc", "monitor_name": "doc waf", "index": "waf-logs",
                 "queries": [{"id": "q1", "name": "blocked", "query": "action:BLOCK",
                              "tags": ["waf"]}], "timestamp": 10, "execution_id": None},
                {"id": "f2", "related_doc_ids": [], "correlated_doc_ids": [],
                 "monitor_id": "m-doc", "monitor_name": "doc waf", "index": "waf-logs",
                 "queries": [{"id": "q2", "name": "scan", "query": "x", "tags": ["recon"]}],
                 "timestamp": 20, "execution_id": None}]
    node.findings.save(findings)
    node.close()
    server = Server(data).start()
    yield server, {name: a["id"] for name, a in alerts.items()}
    server.stop()


@pytest.fixture
def client(written: tuple[Server, dict]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=written[0].url, timeout=30) as client:
        yield client


@pytest.fixture
def ids(written: tuple[Server, dict]) -> dict[str, str]:
    return written[1]


def listed(client: httpx.Client, query: str = "", base: str = BASE) -> dict[str, Any]:
    response = client.get(f"{base}/alerts{query}")
    assert response.status_code == 200, response.text
    return response.json()


def names(answer: dict[str, Any], ids: dict[str, str]) -> list[str]:
    by_id = {alert_id: name for name, alert_id in ids.items()}
    return [by_id[a["id"]] for a in answer["alerts"]]


def test_default_listing_active_and_history_by_monitor_name(
        client: httpx.Client, ids: dict[str, str]) -> None:
    answer = listed(client)
    assert answer["totalAlerts"] == 5
    assert [a["monitor_name"] for a in answer["alerts"]] == [
        "Disk", "IoT CPU", "IoT CPU", "WAF blocked", "WAF blocked"]
    cpu = next(a for a in answer["alerts"] if a["id"] == ids["cpu"])
    assert list(cpu) == [
        "id", "version", "monitor_id", "workflow_id", "workflow_name", "associated_alert_ids",
        "schema_version", "monitor_version", "monitor_name", "execution_id", "trigger_id",
        "trigger_name", "finding_ids", "related_doc_ids", "state", "error_message",
        "alert_history", "severity", "action_execution_results", "start_time",
        "last_notification_time", "end_time", "acknowledged_time"]  # never monitor_user
    assert cpu["version"] == 1 and cpu["start_time"] == T + 3_000
    waf = next(a for a in answer["alerts"] if a["id"] == ids["waf"])
    assert waf["agg_alert_content"]["bucket_keys"] == ["10.0.0.1"]
    assert listed(client, base="/_opendistro/_alerting/monitors") == answer


def test_filters(client: httpx.Client, ids: dict[str, str]) -> None:
    assert names(listed(client, "?monitorId=m-cpu&sortString=start_time"), ids) == [
        "cpu_low", "cpu"]
    assert names(listed(client, "?severityLevel=2"), ids) == ["waf"]
    assert names(listed(client, "?alertState=ERROR"), ids) == ["err"]
    assert names(listed(client, "?alertState=COMPLETED"), ids) == ["done"]
    assert set(names(listed(client, "?searchString=blocked"), ids)) == {"waf", "err"}
    assert names(listed(client, "?searchString=cpu%20below"), ids) == ["cpu_low"]
    assert listed(client, "?monitorId=nothing") == {"alerts": [], "totalAlerts": 0}


def test_sorting_and_paging(client: httpx.Client, ids: dict[str, str]) -> None:
    assert names(listed(client, "?sortString=start_time&sortOrder=desc"), ids) == [
        "err", "cpu", "waf", "cpu_low", "done"]
    page = listed(client, "?sortString=start_time&size=2&startIndex=2")
    assert names(page, ids) == ["waf", "cpu"] and page["totalAlerts"] == 5
    assert names(listed(client, "?sortString=end_time&size=1"), ids) == ["done"]
    assert names(listed(client, "?sortString=end_time&missing=_first&size=1"), ids) != ["done"]
    assert names(listed(client, "?sortString=end_time&sortOrder=desc&size=1"), ids) == ["done"]
    bad = client.get(f"{BASE}/alerts?sortOrder=sideways")
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "illegal_argument_exception"
    bad = client.get(f"{BASE}/alerts?size=many")
    assert bad.status_code == 400


def test_history_is_searchable_with_the_search_api(client: httpx.Client,
                                                   ids: dict[str, str]) -> None:
    history = client.get("/.opendistro-alerting-alert-history-*/_search").json()
    assert [hit["_id"] for hit in history["hits"]["hits"]] == [ids["done"]]
    everything = client.get("/.opendistro-alerting-alert*/_search?size=100").json()
    assert everything["hits"]["total"]["value"] == 5
    # hidden system indices (and their hidden alias) stay out of a plain wildcard
    plain = client.get("/*/_search?size=100").json()
    assert {hit["_index"] for hit in plain["hits"]["hits"]} == {"waf-logs"}


def test_acknowledge(client: httpx.Client, ids: dict[str, str]) -> None:
    response = client.post(f"{BASE}/m-cpu/_acknowledge/alerts",
                           json={"alerts": [ids["cpu"], ids["waf"], "nope"]})
    assert response.status_code == 200, response.text
    assert response.json() == {"success": [ids["cpu"]], "failed": [
        {ids["waf"]: {"failed_reason": f"Alert: {ids['waf']} does not exist (it may have "
                                       f"already completed)."}},
        {"nope": {"failed_reason": "Alert: nope does not exist (it may have already "
                                   "completed)."}}]}
    acked, = listed(client, "?alertState=ACKNOWLEDGED")["alerts"]
    assert acked["id"] == ids["cpu"] and acked["acknowledged_time"] > 0
    legacy = client.post("/_opendistro/_alerting/monitors/m-waf/_acknowledge/alerts",
                         json={"alerts": [ids["err"]]})
    assert legacy.json() == {"success": [], "failed": [{ids["err"]: {
        "failed_reason": "Alert is in an error state and can not be acknowledged."}}]}
    empty = client.post(f"{BASE}/m-cpu/_acknowledge/alerts", json={"alerts": []})
    assert empty.status_code == 400
    assert empty.json()["error"]["reason"] == "You must provide at least one alert id."
    missing = client.post(f"{BASE}/m-cpu/_acknowledge/alerts")
    assert missing.status_code == 400
    assert missing.json()["error"]["type"] == "parse_exception"
    wrong = client.post(f"{BASE}/m-cpu/_acknowledge/alerts", json={"alerts": "x"})
    assert wrong.status_code == 400 and wrong.json()["error"]["type"] == "parsing_exception"


def test_acknowledging_alerts_of_an_unknown_monitor_is_a_404(client: httpx.Client,
                                                              ids: dict[str, str]) -> None:
    """OpenSearch reads the monitor first: alerts of a monitor that does not exist (here
    m-disk's, whose monitor was deleted) are not acknowledged and the answer says why."""
    response = client.post(f"{BASE}/m-disk/_acknowledge/alerts", json={"alerts": [ids["done"]]})
    assert response.status_code == 404
    error = response.json()["error"]
    assert (error["type"], error["reason"]) == ("alerting_exception", "Monitor not found.")


def test_findings_search_with_documents(client: httpx.Client) -> None:
    response = client.get("/_plugins/_alerting/findings/_search")
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["total_findings"] == 2
    first, second = answer["findings"]
    assert first["finding"]["id"] == "f1" and first["finding"]["index"] == "waf-logs"
    assert first["document_list"] == [{"index": "waf-logs", "id": "r1", "found": True,
                                       "document": '{"action":"BLOCK","ip":"10.0.0.1"}'}]
    assert second["document_list"] == []
    one = client.get("/_plugins/_alerting/findings/_search?findingId=f2").json()
    assert [f["finding"]["id"] for f in one["findings"]] == ["f2"]
    tagged = client.get("/_plugins/_alerting/findings/_search?searchString=recon").json()
    assert [f["finding"]["id"] for f in tagged["findings"]] == ["f2"]
    paged = client.get("/_plugins/_alerting/findings/_search?sortString=timestamp"
                       "&sortOrder=desc&size=1").json()
    assert paged["total_findings"] == 2
    assert [f["finding"]["id"] for f in paged["findings"]] == ["f2"]

