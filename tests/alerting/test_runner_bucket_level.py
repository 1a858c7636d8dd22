"""Bucket-level monitors: a composite aggregation per client IP, one alert per bucket key,
each key completed on its own."""

from __future__ import annotations

from tests.alerting.conftest import MINUTE, T0, Harness
from tests.alerting.monitors import action, bucket_level

WAF = {"@timestamp": {"type": "date"}, "client_ip": {"type": "keyword"},
       "action": {"type": "keyword"}, "bytes": {"type": "long"}}

BLOCKED_PER_IP = {"size": 0, "query": {"bool": {"filter": [
    {"term": {"action": "BLOCK"}},
    {"range": {"@timestamp": {"gt": "{{period_end}}||-10m", "lte": "{{period_end}}",
                              "format": "epoch_millis"}}}]}},
    "aggregations": {"composite_agg": {
        "composite": {"sources": [{"client_ip": {"terms": {"field": "client_ip"}}}]},
        "aggs": {"bytes": {"sum": {"field": "bytes"}}}}}}

CONDITION = {"buckets_path": {"_count": "_count", "bytes": "bytes"},
             "parent_bucket_path": "composite_agg",
             "script": {"source": "params._count > 2 && params.bytes >= params.floor",
                        "lang": "painless", "params": {"floor": 10}}}


def blocks(ip: str, count: int, minutes_ago: int, action_: str = "BLOCK") -> list[dict]:
    return [{"@timestamp": T0 - minutes_ago * MINUTE + i, "client_ip": ip, "action": action_,
             "bytes": 10} for i in range(count)]


def test_one_alert_per_ip_and_completion_per_key(harness: Harness) -> None:
    harness.index("waf-1", blocks("10.0.0.1", 5, 2) + blocks("10.0.0.2", 3, 8)
                  + blocks("10.0.0.3", 1, 2) + blocks("10.0.0.4", 9, 2, "ALLOW"), WAF)
    monitor = bucket_level(BLOCKED_PER_IP, CONDITION, [
        action(message="{{ctx.alert.bucket_keys}} blocked {{ctx.alert.agg_alert_content.bucket.doc_count}} times"),
        action("summary", "ops-webhook", message="new:{{#ctx.newAlerts}} {{bucket_keys}}{{/ctx.newAlerts}}"
               " completed:{{#ctx.completedAlerts}} {{bucket_keys}}{{/ctx.completedAlerts}}",
               action_execution_policy={"action_execution_scope": {"per_execution": {}}})])

    body = harness.run(monitor, minutes=10)
    trigger = body["trigger_results"]["bt1"]
    assert trigger["error"] is None
    assert sorted(trigger["agg_result_buckets"]) == ["10.0.0.1", "10.0.0.2"]
    first = trigger["agg_result_buckets"]["10.0.0.1"]
    assert first["parent_bucket_path"] == "composite_agg"
    assert first["bucket_keys"] == ["10.0.0.1"] and first["bucket"]["doc_count"] == 5
    assert set(trigger["action_results"]) == {"10.0.0.1", "10.0.0.2"}
    assert sorted(harness.channels.texts("ops-slack")) == ["10.0.0.1 blocked 5 times",
                                                           "10.0.0.2 blocked 3 times"]
    assert harness.channels.texts("ops-webhook") == [
        "new: 10.0.0.1 10.0.0.2 completed:"]
    alerts = {a["agg_alert_content"]["bucket_keys"][0]: a for a in harness.alerts()}
    assert set(alerts) == {"10.0.0.1", "10.0.0.2"}
    assert all(a["state"] == "ACTIVE" and a["severity"] == "2" for a in alerts.values())

    # five minutes later .2's blocks are out of the window, .1 keeps being blocked
    harness.clock.now_ms = T0 + 5 * MINUTE
    harness.index("waf-1", blocks("10.0.0.1", 4, -4))
    body = harness.run(monitor, minutes=10)
    assert sorted(body["trigger_results"]["bt1"]["agg_result_buckets"]) == ["10.0.0.1"]
    assert body["trigger_results"]["bt1"]["action_results"] == {}
    assert len(harness.channels.sent) == 3  # deduped and completed do not notify by default
    after = {a["agg_alert_content"]["bucket_keys"][0]: a for a in harness.alerts()}
    assert after["10.0.0.1"]["id"] == alerts["10.0.0.1"]["id"]
    assert after["10.0.0.1"]["state"] == "ACTIVE" and after["10.0.0.1"]["start_time"] == T0
    assert after["10.0.0.1"]["agg_alert_content"]["bucket"]["doc_count"] == 9
    assert after["10.0.0.2"]["state"] == "COMPLETED"
    assert after["10.0.0.2"]["end_time"] == T0 + 5 * MINUTE
    assert [a["id"] for a in harness.node.alerts.current("m1")] == [alerts["10.0.0.1"]["id"]]


def test_multi_source_keys_and_a_bad_path_is_an_error_alert(harness: Harness) -> None:
    harness.index("waf-1", blocks("10.0.0.1", 3, 1), WAF)
    query = {**BLOCKED_PER_IP, "aggregations": {"composite_agg": {"composite": {"sources": [
        {"ip": {"terms": {"field": "client_ip"}}},
        {"verdict": {"terms": {"field": "action"}}}]}}}}
    monitor = bucket_level(query, {**CONDITION, "buckets_path": {"_count": "_count"},
                                   "script": {"source": "params._count > 2"}})
    body = harness.run(monitor, minutes=10)
    assert list(body["trigger_results"]["bt1"]["agg_result_buckets"]) == ["10.0.0.1#BLOCK"]
    assert harness.alerts()[0]["agg_alert_content"]["bucket_keys"] == ["10.0.0.1", "BLOCK"]

    broken = bucket_level(query, {**CONDITION, "parent_bucket_path": "nope"})
    harness.clock.now_ms = T0 + MINUTE
    body = harness.run(broken, minutes=10)
    assert "No aggregation found for path [nope]" in body["trigger_results"]["bt1"]["error"]
    states = sorted((a["state"], bool(a.get("agg_alert_content"))) for a in harness.alerts())
    # the bucket's alert is left as it was; the trigger has one ERROR alert
    assert states == [("ACTIVE", True), ("ERROR", False)]


def test_every_composite_page_is_judged(harness: Harness) -> None:
    # 25 blocked addresses: the composite's default page is 10 buckets, the trigger sees all
    docs = [d for n in range(25) for d in blocks(f"10.0.1.{n:02d}", 3, 1)]
    harness.index("waf-1", docs, WAF)
    query = {**BLOCKED_PER_IP}
    query["aggs"] = query.pop("aggregations")
    monitor = bucket_level(query, {**CONDITION, "script": {"source": "params._count > 2"}},
                           [action(message="{{ctx.newAlerts.0.bucket_keys}} and more",
                                   action_execution_policy={"action_execution_scope": {
                                       "per_execution": {}}})])
    body = harness.run(monitor, minutes=10)
    assert len(body["trigger_results"]["bt1"]["agg_result_buckets"]) == 25
    assert len(harness.alerts()) == 25
    assert harness.channels.texts() == ["10.0.1.00 and more"]
