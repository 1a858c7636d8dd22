"""The UI's Alerting and Notifications pages in a real browser (Debian's Chromium driven by
Playwright): a webhook channel and its test message, a visual-graph monitor built through the
form, its alert seen and acknowledged, a monitor turned off, a bad monitor refused."""

from __future__ import annotations

import datetime
import json

import httpx
from playwright import sync_api as playwright_api
from playwright.sync_api import expect

from conftest import Server, WebhookReceiver

MONITORS = "/_plugins/_alerting/monitors"


def bodies(receiver: WebhookReceiver) -> list[str]:
    return [request.body.decode() for request in receiver.requests]


def create_channel(page: playwright_api.Page, server: Server, name: str, url: str) -> str:
    page.goto(server.url + "/_dashboards/#notifications/channels/new")
    page.fill("#channel-name", name)
    page.select_option("#channel-type", "webhook")
    page.fill("#channel-url", url)
    page.fill("#channel-headers", "X-Token: secret-value")
    page.click("#save-channel")
    row = page.locator("tr", has=page.locator("strong", has_text=name))
    expect(row).to_contain_text("Custom webhook")
    return row.get_attribute("data-channel") or ""


def test_a_webhook_channel_is_created_and_its_test_message_delivered(
        page: playwright_api.Page, server: Server, es: httpx.Client, receiver: WebhookReceiver,
        index_name: str) -> None:
    channel = create_channel(page, server, f"hook {index_name}", f"{receiver.url}/hook?token=abc")
    row = page.locator(f"tr[data-channel='{channel}']")
    expect(row.locator(".details")).to_contain_text("*****")  # the token, redacted
    row.locator("button.test").click()
    expect(page.locator("#channel-status .notice.success")).to_contain_text("200")
    assert len(bodies(receiver)) == 1 and "Test message" in bodies(receiver)[0]
    stored = es.get(f"/_plugins/_notifications/configs/{channel}").json()
    webhook = stored["config_list"][0]["config"]["webhook"]
    assert webhook["header_params"] == {"X-Token": "*****"}

    # A dead destination: the delivery's failure is shown, not a success.
    dead = create_channel(page, server, f"dead {index_name}", "http://127.0.0.1:9/hook")
    page.locator(f"tr[data-channel='{dead}'] button.test").click()
    expect(page.locator("#channel-status .notice.error")).to_be_visible(timeout=60_000)
    page.locator(f"tr[data-channel='{dead}'] button.danger").click()
    expect(page.locator(f"tr[data-channel='{dead}']")).to_have_count(0)
    assert es.get(f"/_plugins/_notifications/configs/{dead}").status_code == 404


def test_a_graph_monitor_alerts_and_the_alert_is_acknowledged(
        page: playwright_api.Page, server: Server, es: httpx.Client, receiver: WebhookReceiver,
        index_name: str) -> None:
    channel = create_channel(page, server, f"oncall {index_name}", f"{receiver.url}/hook")
    name = f"CPU of {index_name}"
    page.goto(server.url + "/_dashboards/#alerting/monitors/new")
    page.fill("#graph-name", name)
    page.fill("#graph-indices", f"{index_name}*")
    page.select_option("#graph-aggregation", "max")
    page.fill("#graph-fieldName", "cpu")
    page.fill("#graph-bucketValue", "10")
    page.fill("#graph-triggerName", "CPU too high")
    page.fill("#graph-threshold", "90")
    page.select_option("#graph-severity", "2")
    page.select_option("#graph-channel", channel)
    page.click("#create-graph-monitor")
    row = page.locator("tr", has=page.locator("strong", has_text=name))
    expect(row.locator(".enabled")).to_have_text("enabled")
    monitor_id = row.get_attribute("data-monitor")
    monitor = es.get(f"{MONITORS}/{monitor_id}").json()["monitor"]
    search = monitor["inputs"][0]["search"]
    assert search["indices"] == [f"{index_name}*"]
    assert search["query"]["aggregations"] == {"metric": {"max": {"field": "cpu"}}}
    trigger = monitor["triggers"][0]["query_level_trigger"]
    assert trigger["severity"] == "2"
    assert trigger["actions"][0]["destination_id"] == channel

    # Readings that breach it; "Run now" shows the trigger firing without alerting.
    now = datetime.datetime.now(datetime.UTC).isoformat()
    lines = "".join(json.dumps({"index": {}}) + "\n" + json.dumps({"@timestamp": now, "cpu": cpu})
                    + "\n" for cpu in (55.0, 96.0))
    assert es.post(f"/{index_name}-iot/_bulk?refresh=true", content=lines,
                   headers={"content-type": "application/x-ndjson"}).status_code == 200
    row.locator("button.run").click()
    expect(page.locator("#run-result")).to_contain_text("triggered")
    expect(page.locator("#run-result li[data-trigger]")).to_contain_text("CPU too high")
    expect(page.locator("#run-result li[data-trigger] .tag")).to_have_text("triggered")
    assert es.get(f"/_plugins/_alerting/monitors/alerts?monitorId={monitor_id}").json()[
        "totalAlerts"] == 0
    assert bodies(receiver) == []

    # A real run opens the alert and notifies; the Alerts page shows it and acknowledges it.
    assert es.post(f"{MONITORS}/{monitor_id}/_execute").status_code == 200
    assert len(bodies(receiver)) == 1 and name in bodies(receiver)[0]
    page.goto(server.url + "/_dashboards/#alerting/alerts")
    page.select_option("#alerts-state", "ACTIVE")
    alert = page.locator("#alerts-list tr", has_text=name)
    expect(alert.locator(".state")).to_have_text("ACTIVE")
    expect(alert.locator(".severity")).to_have_text("2")
    expect(alert).to_contain_text("CPU too high")
    active = page.locator("#alerts-chart .bar-row[data-label='ACTIVE'] .bar-count")
    before = int(active.inner_text())
    assert before >= 1
    alert.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("#alerts-list tr", has_text=name)).to_have_count(0)  # no longer ACTIVE
    expect(active).to_have_text(str(before - 1))
    page.select_option("#alerts-state", "ACKNOWLEDGED")
    expect(page.locator("#alerts-list tr", has_text=name).locator(".state")) \
        .to_have_text("ACKNOWLEDGED")
    page.select_option("#alerts-chart-by", "severity")
    expect(page.locator("#alerts-chart .bar-row[data-label='severity 2'] .bar-count")) \
        .not_to_have_text("0")
    alerts = es.get(f"/_plugins/_alerting/monitors/alerts?monitorId={monitor_id}").json()
    assert [a["state"] for a in alerts["alerts"]] == ["ACKNOWLEDGED"]

    # Turned off from the list: the stored monitor is disabled.
    page.goto(server.url + "/_dashboards/#alerting/monitors")
    row = page.locator(f"tr[data-monitor='{monitor_id}']")
    row.locator("button.toggle").click()
    expect(page.locator(f"tr[data-monitor='{monitor_id}'] .enabled")).to_have_text("disabled")
    assert es.get(f"{MONITORS}/{monitor_id}").json()["monitor"]["enabled"] is False
    page.locator(f"tr[data-monitor='{monitor_id}'] button.danger").click()
    expect(page.locator(f"tr[data-monitor='{monitor_id}']")).to_have_count(0)
    assert es.get(f"{MONITORS}/{monitor_id}").status_code == 404


def test_a_monitor_the_server_refuses_shows_its_reason(page: playwright_api.Page,
                                                       server: Server) -> None:
    page.goto(server.url + "/_dashboards/#alerting/monitors/new")
    page.fill("#monitor-json", "{not json")
    page.click("#save-monitor-json")
    expect(page.locator("#monitor-json-status")).to_contain_text("The JSON is not valid")
    bad = {"type": "monitor", "monitor_type": "query_level_monitor", "name": "bad severity",
           "schedule": {"period": {"interval": 1, "unit": "MINUTES"}},
           "inputs": [{"search": {"indices": ["x"], "query": {"query": {"match_all": {}}}}}],
           "triggers": [{"query_level_trigger": {"name": "t", "severity": "9", "condition": {
               "script": {"source": "true", "lang": "painless"}}}}]}
    page.fill("#monitor-json", json.dumps(bad))
    page.click("#save-monitor-json")
    expect(page.locator("#monitor-json-status .notice.error")).to_contain_text(
        "400: Invalid severity [9]")
    expect(page).to_have_url(server.url + "/_dashboards/#alerting/monitors/new")
    # The graph form refuses an incomplete monitor before sending it.
    page.fill("#graph-name", "no field")
    page.fill("#graph-indices", "logs-*")
    page.fill("#graph-threshold", "1")
    page.click("#create-graph-monitor")
    expect(page.locator("#monitor-graph-status")).to_contain_text(
        "Enter the field whose max is watched")


def test_an_email_channel_is_built_from_an_smtp_account_and_a_group(
        page: playwright_api.Page, server: Server, es: httpx.Client, index_name: str) -> None:
    def create(name: str, kind: str, **fields: str) -> str:
        page.goto(server.url + "/_dashboards/#notifications/channels/new")
        page.fill("#channel-name", name)
        page.select_option("#channel-type", kind)
        for control, value in fields.items():
            if control.startswith("select_"):
                page.select_option(f"#channel-{control[7:]}", value)
            else:
                page.fill(f"#channel-{control}", value)
        page.click("#save-channel")
        row = page.locator(f"tr[data-name='{name}']")
        expect(row).to_be_visible()
        return row.get_attribute("data-channel") or ""

    account = create(f"mail {index_name}", "smtp_account", host="127.0.0.1", port="2525",
                     from_address="alerts@example.com", **{"select_smtp-method": "none"})
    group = create(f"ops {index_name}", "email_group", recipients="a@example.com, b@example.com")
    expect(page.locator(f"tr[data-channel='{group}'] .details")) \
        .to_have_text("a@example.com, b@example.com")
    email = create(f"email {index_name}", "email", recipients="c@example.com",
                   **{"select_email-account": account, "select_email-groups": group})
    config = es.get(f"/_plugins/_notifications/configs/{email}").json()[
        "config_list"][0]["config"]
    assert config["email"] == {"email_account_id": account,
                               "recipient_list": [{"recipient": "c@example.com"}],
                               "email_group_id_list": [group]}
    smtp = es.get(f"/_plugins/_notifications/configs/{account}").json()[
        "config_list"][0]["config"]["smtp_account"]
    assert (smtp["host"], smtp["port"], smtp["method"]) == ("127.0.0.1", 2525, "none")
