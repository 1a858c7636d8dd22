"""The Reporting API's shapes (OpenSearch's field names, camelCase), its listings and 404s,
a definition written for OpenSearch (a ``SavedSearch`` source, no sections) running here,
and ES-shaped 400s that name the field at fault."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from conftest import WebhookReceiver

BASE = "/_plugins/_reports"
VALID: dict[str, Any] = {"reportDefinition": {
    "name": "Errors", "isEnabled": True,
    "sections": [{"title": "Errors", "indexPattern": "api-logs", "queryString": "level:error"}],
    "format": {"duration": "PT1H"},
    "trigger": {"triggerType": "OnDemand"}}}


def changed(path: str, value: Any) -> dict[str, Any]:
    """:data:`VALID` with the field at ``path`` (dots; ``-`` deletes it) set to ``value``."""
    body = copy.deepcopy(VALID)
    *parents, last = path.split(".")
    node: Any = body
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value == "-":
        del node[last]
    else:
        node[last] = value
    return body


CRON = {"triggerType": "CronSchedule", "schedule": {"cron": {"expression": "0 6 * * *"}}}
INTERVAL = {"triggerType": "IntervalSchedule",
            "schedule": {"interval": {"start_time": 0, "period": 1, "unit": "Weeks"}}}


@pytest.mark.parametrize(("body", "field"), [
    ({}, "reportDefinition"),
    (changed("reportDefinition.name", "-"), "reportDefinition.name"),
    (changed("reportDefinition.isEnabled", "yes"), "reportDefinition.isEnabled"),
    (changed("reportDefinition.trigger", "-"), "reportDefinition.trigger"),
    (changed("reportDefinition.trigger.triggerType", "Weekly"),
     "reportDefinition.trigger.triggerType"),
    (changed("reportDefinition.trigger", {"triggerType": "CronSchedule"}),
     "reportDefinition.trigger.schedule"),
    (changed("reportDefinition.trigger", {**CRON, "schedule": {"cron": {"expression": "x"}}}),
     "reportDefinition.trigger.schedule.cron.expression"),
    (changed("reportDefinition.trigger", {**CRON, "schedule": {"cron": {
        "expression": "0 6 * * *", "timezone": "Mars/Olympus"}}}),
     "reportDefinition.trigger.schedule.cron.timezone"),
    (changed("reportDefinition.trigger", INTERVAL),
     "reportDefinition.trigger.schedule.interval.unit"),
    (changed("reportDefinition.trigger", {**INTERVAL, "schedule": {"interval": {
        "period": 0, "unit": "Days"}}}), "reportDefinition.trigger.schedule.interval.period"),
    (changed("reportDefinition.sections", []), "reportDefinition.sections"),
    (changed("reportDefinition.sections", "-"), "reportDefinition.sections"),
    (changed("reportDefinition.sections.0.title", "-"), "reportDefinition.sections[0].title"),
    (changed("reportDefinition.sections", [{"title": "t"}]),
     "reportDefinition.sections[0].savedSearchId"),
    (changed("reportDefinition.sections", [{"title": "t", "savedSearchId": "nope"}]),
     "reportDefinition.sections[0].savedSearchId"),
    (changed("reportDefinition.sections.0.columns", "a,b"),
     "reportDefinition.sections[0].columns"),
    (changed("reportDefinition.format.timeFrom", "yesterday"),
     "reportDefinition.format.timeFrom"),
    (changed("reportDefinition.format.duration", "1 day"), "reportDefinition.format.duration"),
    (changed("reportDefinition.format.fileFormat", "Pdf"),
     "reportDefinition.format.fileFormat"),
    (changed("reportDefinition.format.limit", -1), "reportDefinition.format.limit"),
    (changed("reportDefinition.format.limit", 10_001), "reportDefinition.format.limit"),
    (changed("reportDefinition.delivery", {"configIds": ["no-such-channel"]}),
     "reportDefinition.delivery.configIds"),
    ({"reportDefinition": {**changed("reportDefinition.sections", "-")["reportDefinition"],
                           "source": {"type": "Dashboard", "id": "d"}}},
     "reportDefinition.source.type"),
    ({"reportDefinition": {**changed("reportDefinition.sections", "-")["reportDefinition"],
                           "source": {"type": "SavedSearch", "id": "gone"}}},
     "reportDefinition.source.id"),
])
def test_invalid_definitions_are_400s_naming_the_field(client: httpx.Client, body: Any,
                                                       field: str) -> None:
    for answer in (client.post(f"{BASE}/definition", json=body),
                   client.put(f"{BASE}/definition/any-id", json=body)):
        assert answer.status_code == 400, answer.text
        error = answer.json()["error"]
        assert error["type"] == "illegal_argument_exception"
        assert error["reason"].startswith(f"[{field}] "), error["reason"]
        assert error["root_cause"][0]["reason"] == error["reason"]


def test_definition_lifecycle_and_listings(client: httpx.Client) -> None:
    ids = []
    for number in range(3):
        made = client.post(f"{BASE}/definition", json=changed("reportDefinition.name",
                                                              f"Errors {number}"))
        assert made.status_code == 200, made.text
        ids.append(made.json()["reportDefinitionId"])
    shown = client.get(f"{BASE}/definition/{ids[0]}").json()["reportDefinitionDetails"]
    assert shown["id"] == ids[0] and shown["access"] == [] and shown["tenant"] == ""
    assert shown["createdTimeMs"] == shown["lastUpdatedTimeMs"]
    assert shown["reportDefinition"]["format"] == {
        "duration": "PT1H", "timeFrom": "now-1h", "periodLabel": "Events for time period",
        "fileFormat": "Csv", "limit": 10000, "topEvents": 5}
    assert shown["reportDefinition"]["delivery"]["configIds"] == []

    updated = client.put(f"{BASE}/definition/{ids[0]}",
                         json=changed("reportDefinition.trigger", {**CRON, "schedule": {
                             "cron": {"expression": "0 6 * * *", "timezone": "Europe/Paris"}}}))
    assert updated.json() == {"reportDefinitionId": ids[0]}
    after = client.get(f"{BASE}/definition/{ids[0]}").json()["reportDefinitionDetails"]
    assert after["reportDefinition"]["trigger"]["schedule"]["cron"]["timezone"] == \
        "Europe/Paris"
    jobs = client.get("/_plugins/_job_scheduler/api/jobs").text
    assert f"reports-definition.{ids[0]}" in jobs

    listed = client.get(f"{BASE}/definitions", params={"fromIndex": 0, "maxItems": 2}).json()
    assert listed["totalHits"] >= 3 and listed["totalHitRelation"] == "eq"
    assert listed["reportDefinitionDetailsList"][0]["id"] == ids[0]  # the last updated first
    assert len(listed["reportDefinitionDetailsList"]) == 2

    assert client.delete(f"{BASE}/definition/{ids[0]}").json() == {"reportDefinitionId": ids[0]}
    for answer in (client.get(f"{BASE}/definition/{ids[0]}"),
                   client.delete(f"{BASE}/definition/{ids[0]}"),
                   client.post(f"{BASE}/on_demand/{ids[0]}"),
                   client.put(f"{BASE}/definition/{ids[0]}", json=VALID)):
        assert answer.status_code == 404, answer.text
        assert answer.json()["error"]["reason"] == f"Report Definition {ids[0]} not found"
    assert f"reports-definition.{ids[0]}" not in \
        client.get("/_plugins/_job_scheduler/api/jobs").text


def test_an_opensearch_saved_search_definition_runs(client: httpx.Client) -> None:
    """OpenSearch's shape: one ``SavedSearch`` source; it becomes the report's one section,
    whose query and filter pills count what Discover shows for it (a DQL query run as Lucene,
    a negated pill, a top-level ``exists`` pill, a disabled pill ignored)."""
    pattern = client.post("/_dashboards/api/saved_objects/index-pattern/api-logs-pattern",
                          headers={"osd-xsrf": "true"},
                          json={"attributes": {"title": "api-logs",
                                               "timeFieldName": "@timestamp"}})
    assert pattern.status_code == 200, pattern.text
    search = client.post(
        "/_dashboards/api/saved_objects/search/api-errors", headers={"osd-xsrf": "true"},
        json={"attributes": {"title": "API errors", "columns": ["level", "message"],
                             "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps({
                                 "query": {"query": "level:error", "language": "kuery"},
                                 "filter": [
                                     {"meta": {"negate": True},
                                      "query": {"match_phrase": {"message": "ignored"}}},
                                     {"meta": {"type": "exists"}, "exists": {"field": "level"}},
                                     {"meta": {"disabled": True},
                                      "query": {"match_phrase": {"message": "nothing"}}}],
                                 "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index"
                             })}},
              "references": [{"name": "kibanaSavedObjectMeta.searchSourceJSON.index",
                              "type": "index-pattern", "id": "api-logs-pattern"}]})
    assert search.status_code == 200, search.text
    docs = [{"level": "error", "message": "upstream timed out"},
            {"level": "error", "message": "ignored"}, {"level": "info", "message": "ok"}]
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for doc in docs:
        assert client.post("/api-logs/_doc?refresh=true", json={
            "@timestamp": now, **doc}).status_code == 201
    body = {"reportDefinition": {
        "name": "Daily errors", "isEnabled": True,
        "source": {"description": "API errors", "type": "SavedSearch",
                   "origin": "http://localhost:5601", "id": "api-errors"},
        "format": {"duration": "PT24H", "fileFormat": "Csv"},
        "trigger": {"triggerType": "OnDemand"}}}
    made = client.post(f"{BASE}/definition", json=body)
    assert made.status_code == 200, made.text
    instance = client.post(f"{BASE}/on_demand/{made.json()['reportDefinitionId']}").json()[
        "reportInstance"]
    assert instance["status"] == "Success", instance["statusText"]
    assert instance["sections"] == [{"title": "API errors", "total": 1}]
    csv = client.get(f"{BASE}/instance/{instance['id']}/_download").text
    assert csv.splitlines()[0] == "section,@timestamp,level,message"
    assert csv.splitlines()[1].endswith(",error,upstream timed out")


def test_instances_and_packs_not_found(client: httpx.Client) -> None:
    for path in (f"{BASE}/instance/nope", f"{BASE}/instance/nope/_download"):
        answer = client.get(path)
        assert answer.status_code == 404
        assert answer.json()["error"]["reason"] == "Report Instance nope not found"
    made = client.post(f"{BASE}/definition", json=VALID).json()["reportDefinitionId"]
    instance = client.post(f"{BASE}/on_demand/{made}").json()["reportInstance"]
    wrong = client.get(f"{BASE}/instance/{instance['id']}/_download", params={"format": "pdf"})
    assert wrong.status_code == 400 and wrong.json()["error"]["reason"].startswith("[format]")
    pack = client.post(f"{BASE}/packs/hipaa/_install", json={})
    assert pack.status_code == 404
    assert pack.json()["error"]["reason"] == "report pack [hipaa] not found; one of [pci-dss]"
    extra = client.post(f"{BASE}/packs/pci-dss/_install", json={"name": "x"})
    assert extra.status_code == 400 and extra.json()["error"]["reason"].startswith("[name]")


def test_a_report_that_cannot_be_made_fails_and_says_so(client: httpx.Client,
                                                        receiver: WebhookReceiver) -> None:
    """Its saved search deleted after the definition was written: the instance is Failed
    with the reason, and the channels get a message saying so rather than nothing."""
    headers = {"osd-xsrf": "true"}
    assert client.post("/_dashboards/api/saved_objects/search/short-lived", headers=headers,
                       json={"attributes": {"title": "short-lived"}}).status_code == 200
    hook = client.post("/_plugins/_notifications/configs", json={
        "config_id": "failure-hook", "config": {"name": "hook", "config_type": "webhook",
                                                "webhook": {"url": receiver.url}}})
    assert hook.status_code == 200, hook.text
    made = client.post(f"{BASE}/definition", json={"reportDefinition": {
        "name": "Fragile", "sections": [{"title": "s", "savedSearchId": "short-lived"}],
        "trigger": {"triggerType": "OnDemand"}, "delivery": {"configIds": ["failure-hook"]}}})
    assert made.status_code == 200, made.text
    assert client.delete("/_dashboards/api/saved_objects/search/short-lived",
                         headers=headers).status_code == 200
    instance = client.post(f"{BASE}/on_demand/{made.json()['reportDefinitionId']}").json()[
        "reportInstance"]
    reason = "Saved object [search/short-lived] not found"
    assert instance["status"] == "Failed" and reason in instance["statusText"]
    assert instance["delivery"][0]["delivery_status"]["status_code"] == "200"
    [sent] = receiver.requests
    assert sent.body.decode().splitlines()[1:] == [
        "Events for time period: 'now-1d'", "",
        f"The report could not be generated: {instance['statusText']}"]
