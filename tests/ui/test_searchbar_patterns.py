"""The index patterns page (#management/patterns) in a real browser: a pattern created with
its time field from the matching indices, starred as the default (OpenSearch Dashboards'
`config` object), its fields listed, the default moved, patterns deleted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright import sync_api as playwright_api
from playwright.sync_api import expect

from conftest import Server

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
OBJECTS = "/_dashboards/api/saved_objects"
XSRF = {"osd-xsrf": "true"}


@pytest.fixture
def own(fresh_server: Server) -> Iterator[httpx.Client]:
    """A server of the test's own (no default pattern yet), with two waf indices and another."""
    with httpx.Client(base_url=fresh_server.url, timeout=30) as client:
        lines = []
        for index, doc in [
            ("waf-2026.12.05", {"@timestamp": "2026-12-05T01:00:00Z", "action": "BLOCK", "status": 403}),
            ("waf-eu", {"@timestamp": "2026-12-05T01:00:00Z", "event_time": "2026-12-05T01:00:01Z",
                        "action": "ALLOW", "status": 200}),
            ("other", {"message": "not a waf"}),
        ]:
            lines += [f'{{"index": {{"_index": "{index}"}}}}', json.dumps(doc)]
        answer = client.post("/_bulk?refresh=true", content="\n".join(lines) + "\n",
                             headers={"Content-Type": "application/x-ndjson"})
        assert answer.status_code == 200 and not answer.json()["errors"]
        yield client


def config(client: httpx.Client) -> dict:
    version = client.get("/_dashboards/api/status").json()["version"]["number"]
    answer = client.get(f"{OBJECTS}/config/{version}")
    return answer.json()["attributes"] if answer.status_code == 200 else {}


def test_create_star_see_fields_and_delete_an_index_pattern(
        page: playwright_api.Page, fresh_server: Server, own: httpx.Client) -> None:
    page.goto(fresh_server.url + "/_dashboards/#management/patterns")
    page.get_by_role("link", name="Create index pattern").click()
    title = page.get_by_label("Index pattern name")
    expect(title).to_be_focused()

    # The matching sources show as the title is typed.
    title.fill("waf")
    expect(page.locator("#pattern-matches")).to_contain_text("No index, alias or data stream matches waf")
    expect(page.get_by_role("button", name="Create index pattern")).to_be_disabled()
    title.fill("waf-*")
    matches = page.locator("#pattern-matches li")
    expect(matches).to_have_text(["waf-2026.12.05 index", "waf-eu index"])
    expect(page.locator("#pattern-matches")).to_have_text(
        "Your pattern matches 2 sources:waf-2026.12.05 indexwaf-eu index")
    time_field = page.get_by_label("Time field")
    expect(time_field.locator("option")).to_have_text(
        ["@timestamp", "event_time", "I don't want to use the time filter"])
    expect(time_field).to_have_value("@timestamp")
    page.get_by_role("button", name="Create index pattern").click()

    # Its page: the fields of both indices, and the star (the first pattern is the default).
    expect(page.locator("#pattern-name")).to_contain_text("waf-*")
    expect(page.locator("#pattern-name .default-star")).to_be_visible()
    rows = page.locator("tr[data-field]")
    expect(rows.locator("td:first-child")).to_contain_text(
        ["@timestamp (time field)", "action", "action.keyword", "event_time", "status"])
    status_row = page.locator("tr[data-field='status']")
    expect(status_row.locator("td")).to_have_text(["status", "long", "yes", "yes"])
    expect(page.locator("tr[data-field='action'] td")).to_have_text(["action", "text", "yes", "no"])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "index-pattern-fields.png"), full_page=True)

    found = own.get(f"{OBJECTS}/_find", params={"type": "index-pattern", "search_fields": "title",
                                                "search": '"waf-*"'}).json()
    waf = next(o for o in found["saved_objects"] if o["attributes"]["title"] == "waf-*")
    assert waf["attributes"]["timeFieldName"] == "@timestamp"
    assert config(own)["defaultIndex"] == waf["id"]

    # A second pattern, without a time field, from the list page.
    page.get_by_role("link", name="← Index patterns").click()
    page.get_by_role("link", name="Create index pattern").click()
    page.get_by_label("Index pattern name").fill("other")
    expect(page.locator("#pattern-matches li")).to_have_text(["other index"])
    expect(page.get_by_label("Time field")).to_have_value("")
    page.get_by_role("button", name="Create index pattern").click()
    expect(page.locator("#pattern-name")).to_contain_text("other")
    expect(page.locator("#pattern-name .default-star")).to_have_count(0)

    # The list: the star on waf-*; move it to "other".
    page.get_by_role("link", name="← Index patterns").click()
    waf_row = page.locator("tr[data-title='waf-*']")
    other_row = page.locator("tr[data-title='other']")
    expect(waf_row.locator(".default-star")).to_be_visible()
    expect(other_row.locator("td").nth(1)).to_have_text("no time field")
    expect(waf_row.locator("td").nth(1)).to_have_text("@timestamp")
    other_row.get_by_role("button", name="Set other as the default index pattern").click()
    expect(page.locator("tr[data-title='other'] .default-star")).to_be_visible()
    expect(page.locator("tr[data-title='waf-*'] .default-star")).to_have_count(0)
    other_id = page.locator("tr[data-title='other']").get_attribute("data-pattern")
    assert config(own)["defaultIndex"] == other_id
    page.screenshot(path=str(SCREENSHOTS / "index-patterns.png"), full_page=True)

    # Delete waf-* (with the keyboard); then the default, which clears the setting.
    page.get_by_role("button", name="Delete index pattern waf-*").focus()
    page.keyboard.press("Enter")
    expect(page.locator("tr[data-title='waf-*']")).to_have_count(0)
    assert own.get(f"{OBJECTS}/index-pattern/{waf['id']}").status_code == 404
    page.get_by_role("button", name="Delete index pattern other").click()
    expect(page.locator("tr[data-title='other']")).to_have_count(0)
    assert config(own)["defaultIndex"] is None


def test_a_title_that_exists_or_is_not_an_index_name_is_refused(
        page: playwright_api.Page, server: Server, es: httpx.Client) -> None:
    existing = es.post(f"{OBJECTS}/index-pattern", headers=XSRF,
                       json={"attributes": {"title": "taken-*"}}).json()
    try:
        page.goto(server.url + "/_dashboards/#management/patterns/new")
        title = page.get_by_label("Index pattern name")
        title.fill("taken-*")
        expect(page.locator("#pattern-matches")).to_contain_text("An index pattern titled taken-* already exists.")
        title.fill("waf logs")
        expect(page.locator("#pattern-matches")).to_contain_text("cannot contain spaces")
        expect(page.get_by_role("button", name="Create index pattern")).to_be_disabled()
    finally:
        es.delete(f"{OBJECTS}/index-pattern/{existing['id']}", headers=XSRF)
