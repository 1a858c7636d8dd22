"""The Alarms and Reports tabs end to end in Chromium against the node's APIs: the
recommended alarms (h20-alarms) enabled from the tab with a channel, a changed threshold shown
as a mismatch and put right, each alarm linked to its monitor, and the free storage thresholds
drawn on the Metrics chart (over a history written into yesterday's index, as
test_operations_tabs.py writes it); a report (h20-reports) made from a saved search and from
the PCI-DSS pack, run on demand, downloaded as CSV and HTML, and deleted."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright import sync_api as playwright_api
from playwright.sync_api import expect

from conftest import Server, WebhookReceiver
from ui.test_indices_ui import SCREENSHOTS, bulk
from ui.test_operations_tabs import hash_with_time, seed_metrics

ALARMS = "/_plugins/_loghaven/alarms"


@pytest.fixture(scope="module", name="server")
def ops_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``server`` here: one of this module's own, with yesterday's seeded metrics history."""
    instance = Server(tmp_path_factory.mktemp("ops-apis") / "data").start()
    with httpx.Client(base_url=instance.url, timeout=30) as es:
        seed_metrics(es)
    yield instance
    instance.stop()


def test_alarms_are_enabled_from_the_tab_with_a_channel_and_link_to_their_monitors(
        server: Server, es: httpx.Client, receiver: WebhookReceiver, page: playwright_api.Page) -> None:
    made = es.post("/_plugins/_notifications/configs", json={"config": {
        "name": "ops pager", "config_type": "webhook", "is_enabled": True,
        "webhook": {"url": receiver.url}}})
    assert made.status_code == 200, made.text
    channel = made.json()["config_id"]
    expected = es.get(ALARMS).json()["alarms"]
    page.goto(f"{server.url}/_dashboards/#operations/alarms")
    rows = page.locator("#operations-page tbody tr[data-alarm]")
    expect(rows).to_have_count(len(expected))
    expect(page.locator("#alarms-summary")).to_have_text(f"0 ok, {len(expected)} missing, 0 not matching their definition; 0 in ALARM.")
    critical = next(a for a in expected if a["metric"] == "FreeStorageSpace" and a["severity"] == "critical")
    row = page.locator(f"tr[data-alarm='{critical['name']}']")
    expect(row).to_contain_text(f"Minimum FreeStorageSpace ≤ {critical['threshold']:,} for 1 \N{MULTIPLICATION SIGN} 60 s")
    expect(row.locator(".alarm-status")).to_have_text("missing")

    page.select_option("#alarms-channel", channel)
    page.click("#alarms-enable")
    expect(page.locator(".notice.success")).to_contain_text(f"Created {len(expected)} (")
    expect(page.locator("#alarms-summary")).to_contain_text(f"{len(expected)} ok, 0 missing, 0 not matching")
    listed = {a["name"]: a for a in es.get(ALARMS).json()["alarms"]}
    assert {a["status"] for a in listed.values()} == {"ok"}
    monitor = es.get(f"/_plugins/_alerting/monitors/{listed[critical['name']]['monitor_id']}").json()["monitor"]
    assert channel in json.dumps(monitor["triggers"])  # the monitors notify the chosen channel
    expect(row.locator(".alarm-state")).to_have_text(listed[critical["name"]]["state"])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "operations-alarms.png"), full_page=True)

    # A changed threshold shows as a mismatch with its difference; enabling again puts it right.
    stored = monitor
    stored["triggers"][0]["query_level_trigger"]["condition"]["script"]["params"]["threshold"] = 1000.0
    assert es.put(f"/_plugins/_alerting/monitors/{listed[critical['name']]['monitor_id']}", json=stored).status_code == 200
    page.reload()
    expect(row.locator(".alarm-status")).to_have_text("mismatch")
    expect(row.locator(".alarm-differences")).to_have_text(f"threshold does not match: should be {critical['threshold']:,}; is 1,000")
    page.click("#alarms-enable")
    expect(page.locator(".notice.success")).to_contain_text(f"updated 1 ({critical['name']})")
    expect(row.locator(".alarm-status")).to_have_text("ok")

    # The Metrics tab draws the free storage alarms' thresholds.
    page.goto(f"{server.url}/_dashboards/{hash_with_time('metrics')}")
    storage = page.locator("[data-chart='storage'] .chart-latest")
    expect(storage).to_contain_text(f"critical threshold: {critical['threshold']:,} MB")

    # The alarm's name opens its monitor in Alerting.
    page.goto(f"{server.url}/_dashboards/#operations/alarms")
    row.locator("a").click()
    expect(page).to_have_url(f"{server.url}/_dashboards/#alerting/monitors/edit/{listed[critical['name']]['monitor_id']}")



WAF_BLOCK = {"formatVersion": 1, "webaclId": "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/prod-web/3f5c0a1e",
             "terminatingRuleId": "AWS-AWSManagedRulesSQLiRuleSet", "terminatingRuleType": "MANAGED_RULE_GROUP",
             "action": "BLOCK", "httpSourceName": "ALB", "httpSourceId": "123456789012-app/prod-alb/4f3c2b1a",
             "ruleGroupList": [], "rateBasedRuleList": [], "nonTerminatingMatchingRules": [],
             "httpRequest": {"clientIp": "81.2.69.160", "country": "GB", "headers": [], "uri": "/api/v1/users",
                             "args": "id=1", "httpVersion": "HTTP/1.1", "httpMethod": "GET", "requestId": "1-a"}}


def download(page: playwright_api.Page, link: playwright_api.Locator, folder: Path) -> str:
    with page.expect_download() as info:
        link.click()
    path = folder / info.value.suggested_filename
    info.value.save_as(path)
    return path.read_text()


def test_reports_from_a_saved_search_and_the_pci_pack_run_and_download(
        server: Server, es: httpx.Client, tmp_path: Path, page: playwright_api.Page) -> None:
    page.goto(f"{server.url}/_dashboards/#operations/reports")
    expect(page.locator("#reports-empty")).to_contain_text("No report definitions yet")
    expect(page.locator("#reports-instances-empty")).to_contain_text("No reports generated yet")

    page.click("#reports-install-pci")
    expect(page.locator(".notice.success")).to_contain_text("PCI-DSS pack: the report definition was created;")
    pci = page.locator("tr[data-name='Logging Compliance Report']")
    expect(pci).to_contain_text("0 6 * * * (UTC)")
    expect(pci).to_contain_text("and 7 more")  # ten guidelines, three shown

    bulk(es, "awswaf-ops-ui", [{**WAF_BLOCK, "timestamp": int(time.time() * 1000)}])
    page.fill("#report-name", "Blocked requests")
    page.select_option("#report-source", "loghaven-aws-waf-blocked-requests")
    page.click("#report-create")
    expect(page.locator(".notice.success")).to_contain_text("Created the report definition Blocked requests")
    mine = page.locator("tr[data-name='Blocked requests']")
    expect(mine).to_contain_text("AWS WAF: blocked requests")
    expect(mine).to_contain_text("On demand")
    mine.locator(".report-run").click()
    expect(page.locator(".notice.success")).to_contain_text("Generated Blocked requests: Success")
    instance = page.locator("#report-instances tbody tr").first
    expect(instance).to_contain_text("Blocked requests")
    expect(instance).to_contain_text("1 section, 1 event")
    expect(instance.locator(".tag")).to_have_text("Success")
    csv = download(page, instance.locator("a[data-format='csv']"), tmp_path)
    assert "81.2.69.160" in csv
    assert "Blocked requests" in download(page, instance.locator("a[data-format='html']"), tmp_path)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "operations-reports.png"), full_page=True)

    mine.locator(".report-delete").click()  # the page fixture accepts the confirmation
    expect(page.locator("tr[data-name='Blocked requests']")).to_have_count(0)
    expect(page.locator("#report-instances tbody tr").first).to_contain_text("Blocked requests")
