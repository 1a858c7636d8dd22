"""Query Workbench with security on, in Chromium: the session cookie is all its SQL and PPL
requests need; a user sees only the rows its role allows, and a query its roles refuse shows
OpenSearch's security_exception with what to do next."""

from __future__ import annotations

import json

import httpx
from playwright import sync_api as playwright_api
from playwright.sync_api import expect

from .conftest import SecureServer, role_user
from .test_ingest_ui_security import login

TEAMS = ("red", "blue")
RED_ONLY = {"index_permissions": [{"index_patterns": ["wbsec-logs"], "allowed_actions": ["read"],
                                   "dls": json.dumps({"term": {"team": "red"}})}]}


def fill(admin: httpx.Client) -> None:
    for index in ("wbsec-logs", "wbsec-other"):
        lines = "".join(json.dumps({"index": {"_index": index}}) + "\n"
                        + json.dumps({"n": n, "team": TEAMS[n % 2]}) + "\n" for n in range(10))
        sent = admin.post("/_bulk?refresh=true", content=lines,
                          headers={"Content-Type": "application/x-ndjson"})
        assert sent.status_code == 200 and not sent.json()["errors"], sent.text


def test_queries_run_with_the_session_and_a_refusal_says_why(
        page: playwright_api.Page, secure: SecureServer, admin: httpx.Client) -> None:
    fill(admin)
    role_user(secure, admin, "wbreader", RED_ONLY).close()
    login(page, secure, "wbreader", "Wbreader-Password-1")
    page.goto(secure.url + "/_dashboards/#workbench")
    page.fill("#workbench-query", "SELECT n, team FROM wbsec-logs ORDER BY n")
    page.click("#workbench-run")
    expect(page.locator("#workbench-status")).to_contain_text("5 of 5 rows")
    teams = page.locator("#workbench-table tbody tr td:nth-child(2)").all_inner_texts()
    assert teams == ["red"] * 5  # document-level security applies to SQL too

    page.fill("#workbench-query", "SELECT n FROM wbsec-other")
    page.click("#workbench-run")
    error = page.locator("#workbench-error [role=alert]")
    expect(error).to_contain_text("security_exception (403)")
    expect(error).to_contain_text("no permissions")
    expect(error.locator(".workbench-error-hint")).to_contain_text("Your roles do not allow")
