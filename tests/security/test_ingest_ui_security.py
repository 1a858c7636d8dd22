"""The Ingest pages with security on: the session cookie is all the pages need to call
Firehose's JSON 1.1 API at ``POST /`` and the HEC token API (``_plugins/_security/api/
hectokens``); tokens show their owner; a user whose roles do not allow streams sees the
server's reason, and still manages HEC tokens of their own."""

from __future__ import annotations

import base64
import json

import httpx
from playwright import sync_api as playwright_api
from playwright.sync_api import expect

from .conftest import SecureServer, role_user

WRITER = {"index_permissions": [{"index_patterns": ["hana-*"],
                                 "allowed_actions": ["indices:data/write/*",
                                                     "indices:admin/create"]}]}


def login(page: playwright_api.Page, server: SecureServer, user: str, password: str) -> None:
    page.goto(server.url + "/_dashboards/")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("#submit")
    expect(page.locator("#user-name")).to_have_text(user)


def count(admin: httpx.Client, index: str) -> int:
    assert admin.post(f"/{index}/_refresh").status_code == 200
    return admin.get(f"/{index}/_count").json()["count"]


def test_admin_runs_a_stream_and_a_token_with_the_session_cookie(
        page: playwright_api.Page, secure: SecureServer, admin: httpx.Client) -> None:
    login(page, secure, *secure.auth)
    page.goto(secure.url + "/_dashboards/#ingest/streams/new")
    page.fill("#stream-name", "secured-stream")
    page.fill("#stream-index", "secured-logs")
    page.select_option("#stream-rotation", "NoRotation")
    page.fill("#stream-size", "1")
    page.fill("#stream-interval", "0")
    page.click("#save-stream")
    expect(page.locator("#stream-title")).to_have_text("secured-stream")
    put = admin.post("/", headers={"Content-Type": "application/x-amz-json-1.1",
                                   "X-Amz-Target": "Firehose_20150804.PutRecordBatch"},
                     content=json.dumps({"DeliveryStreamName": "secured-stream", "Records": [
                         {"Data": base64.b64encode(b'{"n": 1}').decode()}]}))
    assert put.status_code == 200 and put.json()["FailedPutCount"] == 0, put.text
    expect(page.locator("#stream-chart .bar-row[data-label='delivered'] .bar-count")) \
        .to_have_text("1", timeout=30_000)
    assert count(admin, "secured-logs") == 1
    page.locator("button.delete").click()
    expect(page).to_have_url(secure.url + "/_dashboards/#ingest/streams")
    expect(page.locator("tr[data-stream='secured-stream']")).to_have_count(0)

    # A HEC token of the admin's, through the security plugin's API.
    page.goto(secure.url + "/_dashboards/#ingest/hec")
    page.fill("#hec-name", "secured-token")
    page.fill("#hec-index", "secured-events")
    page.check("#hec-ack")
    page.click("#create-token")
    token = page.locator("#new-token-value").input_value()
    row = page.locator("tr[data-token='secured-token']")
    expect(row).to_contain_text("admin")
    expect(row.locator(".state")).to_contain_text("ack")
    assert "X-Splunk-Request-Channel" in page.locator("#token-example").inner_text()
    sent = httpx.post(secure.url + "/services/collector/event", content='{"event": "hi"}',
                      headers={"Authorization": f"Splunk {token}",
                               "X-Splunk-Request-Channel": "6a5c1f0e-8d0c-4a5e-9d8b-2f1e0c3b4a59"})
    assert sent.status_code == 200 and sent.json()["code"] == 0, sent.text
    assert count(admin, "secured-events") == 1
    stored = admin.get("/_plugins/_security/api/hectokens/secured-token").json()
    assert stored["secured-token"]["useACK"] is True
    row.locator("button.delete").click()
    expect(page.locator("tr[data-token='secured-token']")).to_have_count(0)


def test_a_user_without_stream_permissions_sees_why_and_keeps_own_tokens(
        page: playwright_api.Page, secure: SecureServer, admin: httpx.Client) -> None:
    role_user(secure, admin, "hana", WRITER).close()
    login(page, secure, "hana", "Hana-Password-1")
    page.goto(secure.url + "/_dashboards/#ingest/streams")
    expect(page.locator("#ingest-page .notice.error")).to_contain_text(
        "cluster:admin/loghaven/firehose/stream/list")

    page.goto(secure.url + "/_dashboards/#ingest/hec")
    page.fill("#hec-name", "hana-token")
    page.fill("#hec-index", "hana-events")
    page.click("#create-token")
    row = page.locator("tr[data-token='hana-token']")
    expect(row).to_contain_text("hana")
    token = page.locator("#new-token-value").input_value()
    sent = httpx.post(secure.url + "/services/collector/event", content='{"event": "mine"}',
                      headers={"Authorization": f"Splunk {token}"})
    assert sent.json()["code"] == 0, sent.text
    assert count(admin, "hana-events") == 1
    # The admin's tokens are not hers to see.
    admin.put("/_plugins/_security/api/hectokens/admins-only", json={"index": "x"})
    page.reload()
    expect(page.locator("tr[data-token='hana-token']")).to_have_count(1)
    expect(page.locator("tr[data-token='admins-only']")).to_have_count(0)
