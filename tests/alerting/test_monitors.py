"""The monitors API over HTTP: OpenSearch's documented monitors accepted unchanged and returned
as OpenSearch returns them, the Dashboards visual graph, a pySigma rule, OpenSearch's errors,
optimistic concurrency, ``_search``, ``_execute`` and stats."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from .monitor_examples import (
    BUCKET_LEVEL,
    DOC_LEVEL,
    IOT_GRAPH_UI,
    QUERY_LEVEL,
    QUERY_LEVEL_CRON,
    SIGMA_RULE,
)

MONITORS = "/_plugins/_alerting/monitors"


def create(es: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    response = es.post(MONITORS, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_documented_query_level_monitor_is_returned_as_opensearch_returns_it(
        es: httpx.Client) -> None:
    response = es.post(MONITORS, json=QUERY_LEVEL)
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"{MONITORS}/{created['_id']}"
    assert list(created) == ["_id", "_version", "_seq_no", "_primary_term", "monitor"]
    assert (created["_version"], created["_primary_term"]) == (1, 1)
    monitor = created["monitor"]
    assert list(monitor) == ["type", "schema_version", "name", "monitor_type", "user",
                             "enabled", "enabled_time", "schedule", "inputs", "triggers",
                             "last_update_time"]
    assert monitor["type"] == "monitor" and monitor["monitor_type"] == "query_level_monitor"
    assert monitor["user"] is None  # security is off
    assert monitor["enabled_time"] == monitor["last_update_time"] > 1_600_000_000_000
    assert monitor["schedule"] == QUERY_LEVEL["schedule"]
    assert monitor["inputs"] == QUERY_LEVEL["inputs"]  # the query exactly as given
    (trigger,) = monitor["triggers"]
    inner = trigger["query_level_trigger"]
    assert len(inner["id"]) == 20
    assert {k: v for k, v in inner.items() if k not in ("id", "actions")} == {
        "name": "test-trigger", "severity": "1",
        "condition": {"script": {"source": "ctx.results[0].hits.total.value > 0",
                                 "lang": "painless"}}}
    action = dict(inner["actions"][0])
    assert len(action.pop("id")) == 20
    assert action == {"name": "test-action", "destination_id": "ld7912sBlQ5JUWWFThoW",
                      "message_template": {"source": "This is my message body.",
                                           "lang": "mustache"},
                      "throttle_enabled": True,
                      "subject_template": {"source": "TheSubject", "lang": "mustache"},
                      "throttle": {"value": 27, "unit": "MINUTES"}}
    got = es.get(f"{MONITORS}/{created['_id']}")
    assert got.status_code == 200
    assert got.json() == created
    legacy = es.get(f"/_opendistro/_alerting/monitors/{created['_id']}")
    assert legacy.json() == created


def test_cron_schedule_with_a_time_zone(es: httpx.Client) -> None:
    monitor = create(es, QUERY_LEVEL_CRON)["monitor"]
    assert monitor["schedule"] == {"cron": {"expression": "10 12 1 * *",
                                            "timezone": "America/Los_Angeles"}}


def test_documented_bucket_level_monitor(es: httpx.Client) -> None:
    monitor = create(es, BUCKET_LEVEL)["monitor"]
    assert monitor["monitor_type"] == "bucket_level_monitor"
    assert monitor["inputs"] == BUCKET_LEVEL["inputs"]
    inner = monitor["triggers"][0]["bucket_level_trigger"]
    assert inner["condition"] == {
        "buckets_path": {"_count": "_count",
                         "avg_products_base_price": "avg_products_base_price"},
        "parent_bucket_path": "composite_agg",
        "script": {"source": "params._count > 50 || params.avg_products_base_price < 35",
                   "lang": "painless"},
        "gap_policy": "skip"}
    action = inner["actions"][0]
    assert action["action_execution_policy"] == {"action_execution_scope": {
        "per_alert": {"actionable_alerts": ["DEDUPED", "NEW"]}}}
    assert action["throttle"] == {"value": 10, "unit": "MINUTES"}


def test_documented_doc_level_monitor_keeps_its_sigma_query_ids(es: httpx.Client) -> None:
    monitor = create(es, DOC_LEVEL)["monitor"]
    assert monitor["monitor_type"] == "doc_level_monitor"
    assert monitor["inputs"] == DOC_LEVEL["inputs"]
    inner = monitor["triggers"][0]["document_level_trigger"]
    assert inner["condition"]["script"]["source"] == (
        "(query[name=sigma-123] || query[tag=tag3]) && query[name=sigma-789]")


def test_pysigma_monitor_rule_is_accepted(es: httpx.Client) -> None:
    monitor = create(es, SIGMA_RULE)["monitor"]
    assert monitor["name"] == "SIGMA - Suspicious PowerShell Download"
    assert monitor["monitor_type"] == "query_level_monitor"
    assert monitor["inputs"] == SIGMA_RULE["inputs"]
    inner = monitor["triggers"][0]["query_level_trigger"]
    assert (inner["name"], inner["severity"], inner["actions"]) == ("generated-trigger", "2", [])
    # fields the plugin does not know are dropped, as Monitor.parse skips them
    assert not {"description", "tags", "sigma_meta_data", "references"} & set(monitor)


def test_visual_graph_generates_the_query_as_dashboards_does(es: httpx.Client) -> None:
    body = {"name": "iot-cpu", "monitor_type": "query_level_monitor",
            "schedule": {"period": {"interval": 1, "unit": "MINUTES"}},
            "inputs": [{"search": {"indices": ["iot-*"]}}],
            "triggers": [{"query_level_trigger": {
                "name": "cpu-high", "severity": "1", "actions": [],
                "condition": {"script": {"source": "ctx.results[0].aggregations.metric.value "
                                                   "> 90"}}}}],
            "ui_metadata": {"schedule": {"frequency": "interval"}, "search": IOT_GRAPH_UI}}
    monitor = create(es, body)["monitor"]
    window = {"range": {"@timestamp": {"gte": "{{period_end}}||-5m", "lte": "{{period_end}}",
                                       "format": "epoch_millis"}}}
    assert monitor["inputs"] == [{"search": {"indices": ["iot-*"], "query": {
        "size": 0,
        "aggregations": {"metric": {"max": {"field": "cpu"}},
                         "terms_agg": {"terms": {"field": "device_id"}}},
        "query": {"bool": {"filter": [window, {"term": {"fleet": "iot"}}]}}}}}]
    assert monitor["ui_metadata"]["search"] == IOT_GRAPH_UI

    bucket = copy.deepcopy(body)
    bucket["monitor_type"] = "bucket_level_monitor"
    bucket["triggers"] = [{"bucket_level_trigger": {
        "name": "cpu-high", "severity": "1", "actions": [],
        "condition": {"buckets_path": {"max_cpu": "max_cpu"},
                      "parent_bucket_path": "composite_agg",
                      "script": {"source": "params.max_cpu > 90"}}}}]
    query = create(es, bucket)["monitor"]["inputs"][0]["search"]["query"]
    assert query["aggregations"] == {"composite_agg": {
        "composite": {"sources": [{"device_id": {"terms": {"field": "device_id"}}}]},
        "aggs": {"max_cpu": {"max": {"field": "cpu"}}}}}


def _with(path: str, value: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """A copy of the documented monitor with one field set (``a.0.b``) or removed (None)."""
    body = copy.deepcopy(base or QUERY_LEVEL)
    *parents, last = path.split(".")
    node: Any = body
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key: Any = int(last) if isinstance(node, list) else last
    if value is None:
        del node[key]
    else:
        node[key] = value
    return body


TRIGGER = "triggers.0"
ACTION = "triggers.0.actions.0"


@pytest.mark.parametrize(("body", "reason"), [
    (_with("name", None), "Monitor name is null"),
    (_with("monitor_type", "query_monitor"),
     "Monitor type should be one of [query_level_monitor, bucket_level_monitor, "
     "cluster_metrics_monitor, doc_level_monitor]"),
    (_with("schedule", None), "Monitor schedule is null"),
    (_with("schedule", {"period": {"interval": 1, "unit": "MINUTES"},
                        "cron": {"expression": "* * * * *", "timezone": "UTC"}}),
     "You can only specify one type of schedule."),
    (_with("schedule", {"every": {"interval": 1}}), "Invalid field: [every] found in schedule."),
    (_with("schedule.period.interval", 0), "Interval is not allowed to be 0 or negative"),
    (_with("schedule.period.unit", None), "Unit in period schedule is null."),
    (_with("schedule.period.unit", "SECONDS"),
     "Timezone Seconds is not supported expected [Minutes, Hours, Days]"),
    (_with("schedule.period.unit", "FORTNIGHTS"),
     "No enum constant java.time.temporal.ChronoUnit.FORTNIGHTS"),
    (_with("schedule", {"cron": {"expression": "10 12 1 * *", "timezone": "Mars/Olympus"}}),
     "Timezone Mars/Olympus is not supported"),
    (_with(f"{TRIGGER}.name", None), "Trigger name is null"),
    (_with(f"{TRIGGER}.severity", None), "Trigger severity is null"),
    (_with(f"{TRIGGER}.severity", "7"),
     "Invalid severity [7]: a trigger's severity is one of [1, 2, 3, 4, 5]"),
    (_with(f"{TRIGGER}.condition.script.lang", "expression"),
     "Invalid script language. Allowed languages are [painless]"),
    (_with(f"{ACTION}.destination_id", None), "Destination id is null"),
    (_with(f"{ACTION}.message_template", None), "Action message template is null"),
    (_with(f"{ACTION}.throttle", None), "Action throttle enabled but not set throttle value"),
    (_with(f"{ACTION}.message_template.lang", "painless"),
     "message_template must be a mustache script"),
    (_with(f"{ACTION}.color", "red"), "Unexpected field: color, while parsing action"),
    (_with("monitor_type", "bucket_level_monitor"),
     "Incompatible trigger [{trigger_id}] for monitor type [bucket_level_monitor]"),
    (_with("inputs.0.doc_level_input.queries.0.name", "sigma 123", DOC_LEVEL),
     "They query name or tag, sigma 123, contains an invalid character: "
     "[' ','[',']','{','}','(',')']"),
    (_with("triggers.0.document_level_trigger.condition.script.source",
           "query[name=sigma-123] && query[severity=high]", DOC_LEVEL),
     "Invalid document-level trigger condition: [query[severity=high]] must select by id, "
     "name or tag"),
], ids=lambda value: value[:40] if isinstance(value, str) else None)
def test_invalid_monitors_get_the_alerting_plugins_400(es: httpx.Client, body: dict[str, Any],
                                                       reason: str) -> None:
    if "{trigger_id}" in reason:
        body["triggers"][0]["id"] = "fixed-trigger-id"
        reason = reason.replace("{trigger_id}", "fixed-trigger-id")
    response = es.post(MONITORS, json=body)
    assert response.status_code == 400, response.text
    assert response.json() == {"error": {
        "root_cause": [{"type": "alerting_exception", "reason": reason}],
        "type": "alerting_exception", "reason": reason,
        "caused_by": {"type": "illegal_argument_exception", "reason": reason}}, "status": 400}


def test_a_condition_outside_the_painless_subset_is_refused_naming_it(es: httpx.Client) -> None:
    body = _with(f"{TRIGGER}.condition.script.source",
                 "ctx.results[0].hits.hits.stream().count() > 0")
    response = es.post(MONITORS, json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "script_exception"
    assert error["caused_by"]["reason"] == "method [stream] is not supported"


def test_malformed_json_is_a_parsing_exception(es: httpx.Client) -> None:
    response = es.post(MONITORS, content=b'{"name": ', headers={
        "content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "parsing_exception"


def test_update_with_seq_no_and_primary_term(es: httpx.Client) -> None:
    created = create(es, QUERY_LEVEL)
    path = f"{MONITORS}/{created['_id']}"
    renamed = {**QUERY_LEVEL, "name": "renamed"}
    stale = es.put(f"{path}?if_seq_no={created['_seq_no'] + 100}&if_primary_term=1",
                   json=renamed)
    assert stale.status_code == 409, stale.text
    reason = (f"[{created['_id']}]: version conflict, required seqNo "
              f"[{created['_seq_no'] + 100}], primary term [1]. current document has seqNo "
              f"[{created['_seq_no']}] and primary term [1]")
    assert stale.json()["error"]["root_cause"] == [{"type": "alerting_exception",
                                                     "reason": reason}]
    assert stale.json()["error"]["caused_by"]["type"] == "version_conflict_engine_exception"
    updated = es.put(f"{path}?if_seq_no={created['_seq_no']}&if_primary_term=1", json=renamed)
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert body["_version"] == 2 and body["_seq_no"] > created["_seq_no"]
    assert body["monitor"]["name"] == "renamed"
    # still enabled: the enabled time stays; the trigger got a new id (none was given)
    assert body["monitor"]["enabled_time"] == created["monitor"]["enabled_time"]
    again = es.put(f"{path}?if_seq_no={created['_seq_no']}&if_primary_term=1", json=renamed)
    assert again.status_code == 409
    assert es.get(path).json()["_version"] == 2


def test_get_and_delete_of_a_missing_monitor(es: httpx.Client) -> None:
    missing = es.get(f"{MONITORS}/no-such-monitor")
    assert missing.status_code == 404
    assert missing.json()["error"]["reason"] == "Monitor not found."
    created = create(es, QUERY_LEVEL)
    deleted = es.delete(f"{MONITORS}/{created['_id']}")
    assert deleted.status_code == 200
    assert deleted.json() | {"_seq_no": 0} == {
        "_index": ".opendistro-alerting-config", "_id": created["_id"], "_version": 2,
        "result": "deleted", "forced_refresh": True,
        "_shards": {"total": 1, "successful": 1, "failed": 0}, "_seq_no": 0,
        "_primary_term": 1}
    assert es.get(f"{MONITORS}/{created['_id']}").status_code == 404
    again = es.delete(f"{MONITORS}/{created['_id']}")
    assert again.status_code == 404
    assert again.json()["error"]["reason"] == f"Monitor with {created['_id']} is not found"


def test_search_monitors_with_query_dsl(es: httpx.Client) -> None:
    name = "search-me-monitor"
    created = create(es, {**QUERY_LEVEL, "name": name})
    create(es, {**BUCKET_LEVEL, "name": "another-one"})
    response = es.post(f"{MONITORS}/_search", json={"query": {"bool": {"filter": [
        {"match": {"monitor.name": {"query": name, "operator": "and"}}},
        {"term": {"monitor.monitor_type": "query_level_monitor"}}]}}})
    assert response.status_code == 200, response.text
    hits = response.json()["hits"]["hits"]
    assert [hit["_id"] for hit in hits] == [created["_id"]]
    assert hits[0]["_index"] == ".opendistro-alerting-config"
    assert hits[0]["_source"] == created["monitor"]
    legacy = es.post("/_opendistro/_alerting/monitors/_search",
                     json={"query": {"term": {"monitor.name.keyword": name}}})
    assert [hit["_id"] for hit in legacy.json()["hits"]["hits"]] == [created["_id"]]
    counted = es.post(f"{MONITORS}/_search", json={
        "size": 0, "query": {"term": {"monitor.monitor_type": "bucket_level_monitor"}}})
    assert counted.json()["hits"]["total"]["value"] >= 1


def test_execute_stored_and_inline_monitors(es: httpx.Client) -> None:
    created = create(es, {**QUERY_LEVEL, "enabled": False})
    stored = es.post(f"{MONITORS}/{created['_id']}/_execute?dryrun=true")
    assert stored.status_code == 200, stored.text
    result = stored.json()
    assert result["monitor_name"] == "test-monitor"
    assert result["period_end"] - result["period_start"] == 60_000
    inline = es.post(f"{MONITORS}/_execute?dryrun=true", json={"monitor": QUERY_LEVEL_CRON})
    assert inline.status_code == 200, inline.text
    assert inline.json()["monitor_name"] == "test-monitor"
    missing = es.post(f"{MONITORS}/no-such-monitor/_execute")
    assert missing.status_code == 404
    assert missing.json()["error"]["reason"] == "Can't find monitor with id: no-such-monitor"
    bad = es.post(f"{MONITORS}/_execute", json={"monitor": _with("name", None)})
    assert bad.status_code == 400
    assert bad.json()["error"]["reason"] == "Monitor name is null"


def test_stats_as_the_job_scheduler_shapes_them(es: httpx.Client) -> None:
    created = create(es, QUERY_LEVEL)
    response = es.get("/_plugins/_alerting/stats")
    assert response.status_code == 200
    stats = response.json()
    assert stats["_nodes"] == {"total": 1, "successful": 1, "failed": 0}
    assert stats["plugins.scheduled_jobs.enabled"] is True
    (node,) = stats["nodes"].values()
    assert node["jobs_info"][created["_id"]]["running_on_time"] is True
    assert "job_scheduling_metrics" in node
    only = es.get("/_plugins/_alerting/stats/jobs_info").json()
    assert "job_scheduling_metrics" not in next(iter(only["nodes"].values()))
    unknown = es.get("/_plugins/_alerting/stats/bogus")
    assert unknown.status_code == 400
    assert unknown.json()["error"]["reason"] == (
        "request [/_plugins/_alerting/stats/bogus] contains unrecognized metric: [bogus]")
    assert es.get("/_plugins/_alerting/_local/stats").json()["nodes"]
    assert es.get("/_plugins/_alerting/other-node/stats").json()["nodes"] == {}


def test_visual_graph_monitor_runs_end_to_end(es: httpx.Client, index_name: str) -> None:
    """The IoT example: the generated query finds the device over 90% CPU in the last
    5 minutes, and the trigger over it fires (a dry run: nothing is sent or stored)."""
    now = datetime.now(UTC)
    docs = [("dev-1", 42.0, 1), ("dev-2", 97.5, 2), ("dev-2", 99.0, 30), ("dev-3", 88.0, 1)]
    lines = []
    for device, cpu, minutes_ago in docs:
        stamp = (now - timedelta(minutes=minutes_ago)).isoformat()
        lines += ['{"index":{}}', json.dumps({"@timestamp": stamp, "device_id": device,
                                              "cpu": cpu, "fleet": "iot"})]
    written = es.post(f"/{index_name}/_bulk?refresh=true", content="\n".join(lines) + "\n",
                      headers={"content-type": "application/x-ndjson"})
    assert written.status_code == 200 and not written.json()["errors"]
    body = {"name": "iot-cpu", "schedule": {"period": {"interval": 1, "unit": "MINUTES"}},
            "enabled": False, "inputs": [{"search": {"indices": [index_name]}}],
            "triggers": [{"query_level_trigger": {
                "id": "cpu-over-90", "name": "cpu over 90", "severity": "1", "actions": [],
                "condition": {"script": {
                    "source": "ctx.results[0].aggregations.metric.value > 90"}}}}],
            "ui_metadata": {"search": {**IOT_GRAPH_UI, "groupBy": []}}}
    created = create(es, body)
    result = es.post(f"{MONITORS}/{created['_id']}/_execute?dryrun=true").json()
    assert result["error"] is None, result
    (search_result,) = result["input_results"]["results"]
    assert search_result["aggregations"]["metric"]["value"] == 97.5  # the 30-minute-old 99 is out
    assert result["trigger_results"]["cpu-over-90"]["triggered"] is True
