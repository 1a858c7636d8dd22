"""The built-in dashboards in a real browser (Debian's Chromium driven by Playwright), on a
server of their own holding a day of AWS WAF logs (through the aws_waf pipeline of awswaf-*)
and CloudTrail events (through the cloudtrail pipeline of cloudtrail-*): every panel draws
with data, the saved search panel's total is _count, and the WAF one is photographed."""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright import sync_api as playwright_api
from playwright.sync_api import expect
from tests.ui.dashdata import bulk

from conftest import Server
from loghaven.bench.generators import waf_logs

SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
DAY_MS = 86_400_000


def cloudtrail(name: str, source: str, minutes_ago: int, *, read_only: bool = False,
               identity: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """A CloudTrail record as the trail delivers it."""
    at = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=minutes_ago)
    return {"eventVersion": "1.09", "eventTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": source, "eventName": name, "awsRegion": "eu-west-1",
            "sourceIPAddress": "203.0.113.10", "userAgent": "aws-cli/2.15.0",
            "userIdentity": identity or {"type": "IAMUser", "principalId": "AIDAEXAMPLE",
                                         "arn": "arn:aws:iam::123456789012:user/alice",
                                         "accountId": "123456789012", "userName": "alice"},
            "eventID": f"{name}-{minutes_ago}", "readOnly": read_only,
            "eventType": "AwsApiCall", "managementEvent": True,
            "recipientAccountId": "123456789012", **extra}


def trail() -> list[dict[str, Any]]:
    """Events for each PCI-DSS guideline of the built-in dashboard, spread over the day."""
    root = {"type": "Root", "principalId": "123456789012",
            "arn": "arn:aws:iam::123456789012:root", "accountId": "123456789012"}
    events = []
    for n in range(0, 1380, 60):
        events += [
            cloudtrail("StartInstances", "ec2.amazonaws.com", n + 1, identity=root),
            cloudtrail("ConsoleLogin", "signin.amazonaws.com", n + 2, eventType="AwsConsoleSignIn",
                       responseElements={"ConsoleLogin": "Failure"},
                       errorMessage="Failed authentication"),
            cloudtrail("ModifyDBInstance", "rds.amazonaws.com", n + 3),
            cloudtrail("StopLogging", "cloudtrail.amazonaws.com", n + 4,
                       requestParameters={"name": "org-trail"}),
            cloudtrail("GetObject", "s3.amazonaws.com", n + 5, read_only=True,
                       resources=[{"type": "AWS::S3::Object",
                                   "ARN": "arn:aws:s3:::acme-cloudtrail-logs/AWSLogs/x.json.gz"}]),
            cloudtrail("CreateVpc", "ec2.amazonaws.com", n + 6),
            cloudtrail("AuthorizeSecurityGroupIngress", "ec2.amazonaws.com", n + 7),
            cloudtrail("AttachRolePolicy", "iam.amazonaws.com", n + 8),
            cloudtrail("CreateRoute", "ec2.amazonaws.com", n + 9),
            cloudtrail("DeleteSubnet", "ec2.amazonaws.com", n + 10),
            cloudtrail("DescribeInstances", "ec2.amazonaws.com", n + 11, read_only=True),
        ]
    return events


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("dashboards-builtin") / "data").start()
    now = int(time.time() * 1000) - 60_000
    day = datetime.datetime.now(datetime.UTC).strftime("%Y.%m.%d")
    with httpx.Client(base_url=server.url, timeout=120) as es:
        bulk(es, f"awswaf-{day}", list(waf_logs(3000, seed=18, end_ms=now,
                                                span_ms=DAY_MS - 3_600_000)))
        bulk(es, f"cloudtrail-{day}", trail())
    yield server
    server.stop()


def every_panel_drawn(page: playwright_api.Page, count: int) -> None:
    """Each panel has its chart, table, metric or documents, and no error."""
    panels = page.locator(".dash-panel")
    expect(panels).to_have_count(count, timeout=20_000)
    visualizations = page.locator(".dash-panel[data-type='visualization']")
    searches = page.locator(".dash-panel[data-type='search']")
    expect(visualizations.locator(".vis-render[aria-busy='false']")).to_have_count(
        visualizations.count(), timeout=30_000)
    expect(searches.locator(".saved-search-count")).to_have_count(searches.count(), timeout=30_000)
    for n in range(count):
        one = panels.nth(n)
        expect(one.locator("canvas, table, .vis-metric, .vis-tagcloud").first).to_be_visible()
        expect(one.locator(".notice.error, .vis-empty")).to_have_count(0)


def test_the_waf_dashboard_opens_with_data_in_every_panel(
        page: playwright_api.Page, loaded: Server) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(loaded.url + "/_dashboards/#dashboards")
    page.get_by_role("link", name="AWS WAF", exact=True).click()
    every_panel_drawn(page, 7)
    expect(page.locator(".time-button")).to_contain_text("Last 24 hours")  # timeRestore
    with httpx.Client(base_url=loaded.url, timeout=30) as es:
        blocked = es.post("/awswaf-*/_count", json={"query": {"bool": {"filter": [
            {"term": {"event.action": "BLOCK"}},
            {"range": {"@timestamp": {"gte": "now-24h"}}}]}}}).json()["count"]
    assert blocked > 100
    search = page.locator(".dash-panel[data-id='loghaven-aws-waf-blocked-requests']")
    expect(search.locator(".saved-search-count")).to_have_attribute("data-total", str(blocked))
    expect(page.locator(".dash-panel[data-id='loghaven-aws-waf-requests-by-country'] canvas").first).to_be_visible()
    page.wait_for_timeout(800)  # the charts' entry animation
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "waf-dashboard.png"))


def test_the_pci_dss_dashboard_draws_every_guideline(
        page: playwright_api.Page, loaded: Server) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(loaded.url + "/_dashboards/#dashboards/view/loghaven-pci-dss-dashboard")
    every_panel_drawn(page, 10)
    subnet = page.locator(".dash-panel[data-id='loghaven-pci-dss-subnet-changes'] .saved-search-count")
    expect(subnet).to_have_attribute("data-total", str(len(range(0, 1380, 60))))
