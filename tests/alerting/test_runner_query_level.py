"""Query-level monitors through MonitorRunner.run on a real node: period variables in the
query, the condition over ctx, the alert lifecycle and the notification policy."""

from __future__ import annotations

from .conftest import MINUTE, T0, Harness
from .monitors import action, query_level

LOGS = {"@timestamp": {"type": "date"}, "level": {"type": "keyword"},
        "msg": {"type": "text"}, "device": {"type": "keyword"}, "cpu": {"type": "double"}}

LAST_HOUR = {"size": 0, "query": {"bool": {"filter": [
    {"term": {"level": "error"}},
    {"range": {"@timestamp": {"gte": "{{period_end}}||-1h", "lte": "{{period_end}}",
                              "format": "epoch_millis"}}}]}}}


def errors_at(*minutes_ago: int) -> list[dict]:
    return [{"@timestamp": T0 - m * MINUTE, "level": "error", "msg": f"boom {m}"}
            for m in minutes_ago]


def test_threshold_over_the_period_fires_once_then_completes(harness: Harness) -> None:
    harness.index("logs-a", errors_at(5, 20, 50, 90), LOGS)  # three in the last hour
    harness.index("logs-a", [{"@timestamp": T0 - 10 * MINUTE, "level": "info", "msg": "ok"}])
    condition = ("ctx.results[0].hits.total.value > 2 && ctx.monitor.name == 'errors' && "
                 "ctx.periodEnd - ctx.periodStart == params.hour")
    monitor = query_level(LAST_HOUR, condition, [action(
        message="{{ctx.results.0.hits.total.value}} errors between {{ctx.periodStart}} and "
                "{{ctx.periodEnd}}")])

    monitor["triggers"][0]["query_level_trigger"]["condition"]["script"]["params"] = {
        "hour": 3_600_000}
    body = harness.run(monitor, minutes=60)
    assert body["monitor_name"] == "errors" and body["error"] is None
    assert (body["period_start"], body["period_end"]) == (T0 - 60 * MINUTE, T0)
    assert body["input_results"]["error"] is None
    assert body["input_results"]["results"][0]["hits"]["total"]["value"] == 3
    trigger = body["trigger_results"]["t1"]
    assert trigger["triggered"] is True and trigger["error"] is None
    sent = trigger["action_results"]["a1"]
    assert sent["output"] == {
        "subject": "Alert too many",
        "message": "3 errors between 2026-12-04T11:00:00.000Z and 2026-12-04T12:00:00.000Z"}
    assert sent["throttled"] is False and sent["error"] is None
    assert harness.channels.texts() == [sent["output"]["message"]]
    alert, = harness.alerts()
    assert alert["state"] == "ACTIVE" and alert["start_time"] == T0
    assert alert["trigger_id"] == "t1" and alert["severity"] == "1"
    assert alert["last_notification_time"] == T0
    assert alert["action_execution_results"] == [
        {"action_id": "a1", "last_execution_time": T0, "throttled_count": 0}]

    # still breached a minute later: the same alert, deduped, no second message
    harness.clock.now_ms = T0 + MINUTE
    body = harness.run(monitor, minutes=60)
    assert body["trigger_results"]["t1"]["triggered"] is True
    assert body["trigger_results"]["t1"]["action_results"] == {}
    assert len(harness.channels.sent) == 1
    again, = harness.alerts()
    assert again["id"] == alert["id"] and again["start_time"] == T0
    assert again["last_notification_time"] == T0

    # an hour later the errors are out of the period: COMPLETED, moved to the history
    harness.clock.now_ms = T0 + 61 * MINUTE
    body = harness.run(monitor, minutes=60)
    assert body["trigger_results"]["t1"]["triggered"] is False
    done, = harness.alerts()
    assert done["id"] == alert["id"] and done["state"] == "COMPLETED"
    assert done["end_time"] == T0 + 61 * MINUTE
    assert harness.node.alerts.current("m1") == []
    assert len(harness.channels.sent) == 1  # COMPLETED notifies only when asked


def cpu_docs(tick: int) -> list[dict]:
    """One reading per device per minute: a sine, a constant, a drift, and one climbing
    from 50% to 100% over ten minutes then falling back to 40%."""
    at = T0 + tick * MINUTE
    climb = 50 + 5 * tick if tick <= 10 else 40
    sine = 60 + 20 * [0, 0.5, 0.87, 1, 0.87, 0.5, 0, -0.5, -0.87, -1, -0.87, -0.5][tick % 12]
    return [{"@timestamp": at, "device": "dev-sine", "cpu": sine},
            {"@timestamp": at, "device": "dev-const", "cpu": 40.0},
            {"@timestamp": at, "device": "dev-drift", "cpu": 30.0 + tick},
            {"@timestamp": at, "device": "dev-climb", "cpu": float(climb)}]


def test_iot_max_cpu_over_90_raises_exactly_one_alert(harness: Harness) -> None:
    # the visual-graph monitor's query: max of cpu over the last 5 minutes
    query = {"size": 0, "aggregations": {"max_cpu": {"max": {"field": "cpu"}}},
             "query": {"bool": {"filter": [{"range": {"@timestamp": {
                 "gte": "{{period_end}}||-5m", "lte": "{{period_end}}",
                 "format": "epoch_millis"}}}]}}}
    monitor = query_level(query, "ctx.results[0].aggregations.max_cpu.value > 90",
                          [action(message="max cpu {{ctx.results.0.aggregations.max_cpu.value}}")],
                          indices=("iot-*",), name="iot cpu")
    states = []
    for tick in range(17):
        harness.index("iot-1", cpu_docs(tick), LOGS if tick == 0 else None)
        harness.clock.now_ms = T0 + tick * MINUTE
        body = harness.run(monitor, minutes=5)
        assert body["input_results"]["error"] is None
        states.append(body["trigger_results"]["t1"]["triggered"])
    # 55, 60 ... 90 do not fire; 95 (tick 9) does; ticks 11-15 still see tick 10's 100 in
    # their five minutes (both ends included)
    assert states == [False] * 9 + [True] * 7 + [False]
    assert harness.channels.texts() == ["max cpu 95.0"]
    alert, = harness.alerts()
    assert alert["state"] == "COMPLETED"
    assert alert["start_time"] == T0 + 9 * MINUTE and alert["end_time"] == T0 + 16 * MINUTE


def test_throttle_and_deduped_policy(harness: Harness) -> None:
    harness.index("logs-a", errors_at(1), LOGS)
    monitor = query_level({"query": {"match_all": {}}}, "ctx.results[0].hits.total.value > 0", [
        action("plain"),
        action("throttled", throttle_enabled=True, throttle={"value": 10, "unit": "MINUTES"}),
        action("deduped", action_execution_policy={"action_execution_scope": {
            "per_alert": {"actionable_alerts": ["DEDUPED", "NEW"]}}}),
        action("on-complete", action_execution_policy={"action_execution_scope": {
            "per_alert": {"actionable_alerts": ["COMPLETED"]}}})])

    def ran(body: dict) -> dict[str, bool]:
        return {aid: r["throttled"] for aid, r in body["trigger_results"]["t1"]
                ["action_results"].items()}

    assert ran(harness.run(monitor)) == {"plain": False, "throttled": False, "deduped": False}
    harness.clock.now_ms = T0 + MINUTE
    assert ran(harness.run(monitor)) == {"throttled": True, "deduped": False}
    harness.clock.now_ms = T0 + 11 * MINUTE
    assert ran(harness.run(monitor)) == {"throttled": False, "deduped": False}
    assert len(harness.channels.sent) == 3 + 1 + 2
    alert, = harness.alerts()
    results = {r["action_id"]: r for r in alert["action_execution_results"]}
    assert results["throttled"] == {"action_id": "throttled",
                                    "last_execution_time": T0 + 11 * MINUTE,
                                    "throttled_count": 1}
    assert results["plain"]["last_execution_time"] == T0
    assert alert["last_notification_time"] == T0 + 11 * MINUTE

    # acknowledged: stays acknowledged while breached and never notifies
    harness.node.alerts.acknowledge("m1", [alert["id"]])
    harness.clock.now_ms = T0 + 30 * MINUTE
    assert ran(harness.run(monitor)) == {}
    assert harness.alerts()[0]["state"] == "ACKNOWLEDGED"

    # no longer breached: COMPLETED, and the action that asked for completions runs
    monitor["triggers"][0]["query_level_trigger"]["condition"]["script"]["source"] = "false"
    assert ran(harness.run(monitor)) == {"on-complete": False}
    assert harness.alerts()[0]["state"] == "COMPLETED"


def test_a_failing_query_is_an_error_alert(harness: Harness) -> None:
    harness.index("logs-a", errors_at(1), LOGS)
    bad = query_level({"query": {"range": {"@timestamp": {"gte": "not a date"}}}},
                      "ctx.results[0].hits.total.value > 0", [action()])
    body = harness.run(bad)
    assert "parse" in body["input_results"]["error"]
    assert body["input_results"]["results"] == []
    trigger = body["trigger_results"]["t1"]
    assert trigger["triggered"] is True and trigger["error"] is not None
    alert, = harness.alerts()
    assert alert["state"] == "ERROR"
    assert alert["error_message"].startswith("Failed fetching inputs:\n")
    assert alert["alert_history"] == [{"timestamp": T0, "message": alert["error_message"]}]
    assert len(harness.channels.sent) == 1  # a new error alert notifies like any new alert

    # fixed and not breached: the error alert completes
    harness.clock.now_ms = T0 + MINUTE
    good = query_level({"query": {"term": {"level": "fatal"}}},
                       "ctx.results[0].hits.total.value > 0")
    body = harness.run(good)
    assert body["input_results"]["error"] is None
    done, = harness.alerts()
    assert done["state"] == "COMPLETED" and done["error_message"] is None
    assert done["alert_history"] == alert["alert_history"]


def test_a_failed_delivery_is_recorded_on_the_alert(harness: Harness) -> None:
    harness.index("logs-a", errors_at(1), LOGS)
    monitor = query_level({"query": {"match_all": {}}}, "ctx.results[0].hits.total.value > 0",
                          [action("page", "dead-hook"), action("chat", "ops-slack")])
    body = harness.run(monitor)
    results = body["trigger_results"]["t1"]["action_results"]
    assert results["page"]["error"] == ("Failed to send the notification through channel "
                                        "[pager]: [500] Connection refused (after 3 attempts)")
    assert results["chat"]["error"] is None
    alert, = harness.alerts()
    assert alert["state"] == "ERROR"
    assert alert["error_message"] == "Error running action:\n" + results["page"]["error"]
    assert alert["alert_history"][0]["message"] == alert["error_message"]
    assert {r["action_id"]: r["last_execution_time"]
            for r in alert["action_execution_results"]} == {"page": T0, "chat": T0}
    assert alert["last_notification_time"] == T0  # the chat message went out

    # next run, still breached, nothing fails: ACTIVE again, the history kept
    harness.clock.now_ms = T0 + MINUTE
    harness.run(monitor)
    again, = harness.alerts()
    assert again["state"] == "ACTIVE" and again["error_message"] is None
    assert len(again["alert_history"]) == 1


def test_dryrun_renders_but_sends_and_writes_nothing(harness: Harness) -> None:
    harness.index("logs-a", errors_at(1, 2), LOGS)
    monitor = query_level({"query": {"match_all": {}}}, "ctx.results[0].hits.total.value > 1",
                          [action(message="{{ctx.results.0.hits.total.value}} hits")])
    body = harness.run(monitor, dryrun=True)
    assert body["trigger_results"]["t1"]["action_results"]["a1"]["output"]["message"] == \
        "2 hits"
    assert harness.channels.sent == []
    assert harness.alerts() == []
    # an inline monitor (no id) is run the same way
    assert harness.run(monitor, monitor_id="")["trigger_results"]["t1"]["triggered"] is True
    assert harness.alerts() == []


def test_plain_tags_are_json_escaped_triple_braces_are_not(harness: Harness) -> None:
    """OpenSearch renders action templates with Mustache's JSON escaping (no content type
    given), so a webhook's JSON message stays valid whatever a value holds."""
    harness.index("logs-a", errors_at(1), LOGS)
    monitor = query_level({"query": {"match_all": {}}}, "true", [action(
        message='{"text": "{{ctx.monitor.name}} / {{ctx.trigger.name}}"} {{{ctx.monitor.name}}}',
        subject='{{#ctx.results}}{{hits.total.value}} hit{{/ctx.results}} for {{&ctx.monitor.name}}')],
        name='cpu "high"\nC:\\')
    output = harness.run(monitor, dryrun=True)["trigger_results"]["t1"]["action_results"]["a1"][
        "output"]
    assert output["message"] == ('{"text": "cpu \\"high\\"\\nC:\\\\ / too many"} '
                                 'cpu "high"\nC:\\')
    assert output["subject"] == '1 hit for cpu "high"\nC:\\'
