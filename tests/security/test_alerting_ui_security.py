"""The Alerting and Notifications pages with security on: a user whose roles allow reading
alerts but not acknowledging them, nor reading channels, sees the server's 403 reasons."""

from __future__ import annotations

import datetime
import json

import httpx
from playwright import sync_api as playwright_api
from playwright.sync_api import expect

from .conftest import SecureServer, role_user

MONITORS = "/_plugins/_alerting/monitors"
READER = {"cluster_permissions": ["cluster:admin/opendistro/alerting/alerts/get",
                                  "cluster:admin/opendistro/alerting/monitor/search",
                                  "cluster:admin/opendistro/alerting/monitor/get"]}


def test_a_reader_sees_alerts_and_the_reasons_for_what_it_may_not_do(
        page: playwright_api.Page, secure: SecureServer, admin: httpx.Client) -> None:
    now = datetime.datetime.now(datetime.UTC).isoformat()
    assert admin.post("/sensors/_bulk?refresh=true", headers={
        "content-type": "application/x-ndjson"}, content=json.dumps({"index": {}}) + "\n"
        + json.dumps({"@timestamp": now, "cpu": 97}) + "\n").status_code == 200
    created = admin.post(MONITORS, json={
        "type": "monitor", "monitor_type": "query_level_monitor", "name": "sensors hot",
        "enabled": False, "schedule": {"period": {"interval": 1, "unit": "MINUTES"}},
        "inputs": [{"search": {"indices": ["sensors"], "query": {
            "size": 0, "query": {"match_all": {}}}}}],
        "triggers": [{"query_level_trigger": {"name": "any reading", "severity": "3",
                      "condition": {"script": {"source": "ctx.results[0].hits.total.value > 0",
                                               "lang": "painless"}}}}]})
    assert created.status_code == 201, created.text
    assert admin.post(f"{MONITORS}/{created.json()['_id']}/_execute").status_code == 200
    role_user(secure, admin, "rita", READER).close()

    page.goto(secure.url + "/_dashboards/")
    page.fill("#username", "rita")
    page.fill("#password", "Rita-Password-1")
    page.click("#submit")
    expect(page.locator("#user-name")).to_have_text("rita")
    page.goto(secure.url + "/_dashboards/#alerting/alerts")
    alert = page.locator("#alerts-list tr", has_text="sensors hot")
    expect(alert.locator(".state")).to_have_text("ACTIVE")
    alert.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("#alerting-page .notice.error")).to_contain_text(
        "403: no permissions for [cluster:admin/opendistro/alerting/alerts/ack]")
    expect(alert.locator(".state")).to_have_text("ACTIVE")

    page.goto(secure.url + "/_dashboards/#alerting/monitors")
    row = page.locator("tr", has_text="sensors hot")
    row.locator("button.run").click()
    expect(page.locator("#alerting-page .notice.error")).to_contain_text(
        "403: no permissions for [cluster:admin/opendistro/alerting/monitor/execute]")

    page.goto(secure.url + "/_dashboards/#notifications/channels")
    expect(page.locator("#notifications-page .notice.error")).to_contain_text(
        "403: no permissions for [cluster:admin/opensearch/notifications/configs/get]")
