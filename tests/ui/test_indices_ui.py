"""Index management in a real browser (Debian's Chromium driven by Playwright), security off:
the indices table shows an index made through the API with its `_count`; an index created in
the form has the mapping typed there, a bad mapping shows the server's reason; Refresh makes
documents of an index with `refresh_interval: -1` searchable; closing and opening; deletion
asks for the typed name; templates are created, found by the API and deleted; aliases are
added and removed."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from playwright import sync_api as playwright_api
from playwright.sync_api import expect

from conftest import Server

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def bulk(es: httpx.Client, index: str, docs: list[dict], refresh: bool = True) -> None:
    action = json.dumps({"index": {"_index": index}})
    lines = "".join(f"{action}\n{json.dumps(doc)}\n" for doc in docs)
    answer = es.post("/_bulk" + ("?refresh=true" if refresh else ""), content=lines,
                     headers={"Content-Type": "application/x-ndjson"})
    assert answer.status_code == 200 and not answer.json()["errors"], answer.text


def open_indices(page: playwright_api.Page, server: Server, hash_: str = "#indices") -> None:
    page.goto(f"{server.url}/_dashboards/{hash_}")


def test_the_table_shows_an_index_with_its_count_and_filters_by_name(
        page: playwright_api.Page, server: Server, es: httpx.Client, index_name: str) -> None:
    bulk(es, index_name, [{"n": i, "@timestamp": "2026-01-01T00:00:00Z"} for i in range(37)])
    assert es.put(f"/.{index_name}-hidden").status_code == 200
    count = es.get(f"/{index_name}/_count").json()["count"]
    open_indices(page, server)
    row = page.locator(f"#indices-list tr[data-index='{index_name}']")
    expect(row.locator("td.docs")).to_have_text(f"{count:,}")
    expect(row.locator("td.health")).to_contain_text("green")
    expect(row.locator("td.tier")).to_have_text("hot")
    assert row.locator("td.size").inner_text().endswith("B")
    hidden = page.locator(f"#indices-list tr[data-index='.{index_name}-hidden']")
    expect(hidden).to_have_count(0)
    page.check("#indices-hidden")
    expect(hidden).to_have_count(1)
    page.fill("#indices-filter", index_name)
    expect(page.locator("#indices-list tbody tr")).to_have_count(2)
    page.click("button.sort[data-sort='docs']")  # largest first
    expect(page.locator("#indices-list tbody tr").first).to_have_attribute("data-index", index_name)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.fill("#indices-filter", "")
    page.screenshot(path=str(SCREENSHOTS / "indices.png"), full_page=True)
    assert es.delete(f"/.{index_name}-hidden").status_code == 200


def test_an_index_created_in_the_form_has_its_mapping_and_a_bad_one_shows_the_reason(
        page: playwright_api.Page, server: Server, es: httpx.Client, index_name: str) -> None:
    open_indices(page, server)
    page.click("#create-index")
    page.fill("#index-name", index_name)
    page.fill("#index-body", json.dumps({"mappings": {"properties": {"status": {"type": "nope"}}}}))
    page.click("#create-index-submit")
    expect(page.locator("#create-status")).to_contain_text(
        "No handler for type [nope] declared on field [status]")
    assert es.head(f"/{index_name}").status_code == 404
    page.fill("#index-body", "{\"mappings\": ")
    page.click("#create-index-submit")
    expect(page.locator("#create-status")).to_contain_text("not valid JSON")
    body = {"settings": {"index": {"number_of_replicas": 0}},
            "mappings": {"properties": {"status": {"type": "integer"}, "client": {"type": "ip"}}}}
    page.fill("#index-body", json.dumps(body))
    page.click("#create-index-submit")
    expect(page.locator("#index-title")).to_have_text(index_name)
    mapping = es.get(f"/{index_name}/_mapping").json()[index_name]["mappings"]["properties"]
    assert mapping["status"] == {"type": "integer"} and mapping["client"] == {"type": "ip"}
    expect(page.locator("#index-mappings")).to_contain_text('"integer"')


def test_refresh_makes_documents_searchable_and_close_open_toggle(
        page: playwright_api.Page, server: Server, es: httpx.Client, index_name: str) -> None:
    settings = {"settings": {"index": {"refresh_interval": "-1"}}}
    assert es.put(f"/{index_name}", json=settings).status_code == 200
    bulk(es, index_name, [{"n": i} for i in range(5)], refresh=False)
    assert es.get(f"/{index_name}/_count").json()["count"] == 0
    open_indices(page, server, f"#indices/index/{index_name}")
    expect(page.locator("[data-fact='docs']")).to_have_text("0")
    page.click("#index-refresh")
    expect(page.locator("#index-status")).to_contain_text("Refreshed")
    expect(page.locator("[data-fact='docs']")).to_have_text("5")
    assert es.get(f"/{index_name}/_count").json()["count"] == 5
    page.click("#index-flush")
    expect(page.locator("#index-status")).to_contain_text("Flushed")
    page.click("#index-close")
    expect(page.locator("[data-fact='status']")).to_have_text("closed")
    assert es.get(f"/_cat/indices/{index_name}?format=json").json()[0]["status"] == "close"
    page.click("#index-open")
    expect(page.locator("[data-fact='status']")).to_have_text("open")
    assert es.get(f"/{index_name}/_count").json()["count"] == 5


def test_delete_asks_for_the_typed_name(
        page: playwright_api.Page, server: Server, es: httpx.Client, index_name: str) -> None:
    bulk(es, index_name, [{"n": 1}])
    open_indices(page, server, f"#indices/index/{index_name}")
    page.click("#index-delete")
    confirm = page.locator("#confirm-delete")
    expect(confirm).to_be_disabled()
    page.fill("#confirm-name", index_name[:-1])
    expect(confirm).to_be_disabled()
    page.fill("#confirm-name", index_name)
    expect(confirm).to_be_enabled()
    page.keyboard.press("Escape")  # cancelled, the name typed or not: the index stays
    expect(page.locator("dialog.confirm")).to_have_count(0)
    page.click("#index-delete")
    page.click("dialog.confirm button:has-text('Cancel')")
    expect(page.locator("dialog.confirm")).to_have_count(0)
    assert es.head(f"/{index_name}").status_code == 200
    expect(page.locator("#index-title")).to_have_text(index_name)
    page.click("#index-delete")
    page.fill("#confirm-name", index_name)
    confirm.click()
    expect(page.locator("#indices-list")).to_be_visible()  # back to the list, once deleted
    assert es.head(f"/{index_name}").status_code == 404
    expect(page.locator(f"#indices-list tr[data-index='{index_name}']")).to_have_count(0)


def test_templates_are_created_listed_and_deleted(
        page: playwright_api.Page, server: Server, es: httpx.Client, index_name: str) -> None:
    name = f"tpl-{index_name}"
    open_indices(page, server, "#indices/templates")
    page.click("#new-index-template")
    page.fill("#template-name", name)
    body = {"index_patterns": [f"{index_name}-*"], "priority": 7, "version": 3,
            "template": {"mappings": {"properties": {"code": {"type": "keyword"}}}}}
    page.fill("#template-body", json.dumps(body))
    page.click("#template-save")
    row = page.locator(f"#templates-index tr[data-template='{name}']")
    expect(row).to_contain_text(f"{index_name}-*")
    found = es.get(f"/_index_template/{name}").json()["index_templates"][0]["index_template"]
    assert found["priority"] == 7 and found["index_patterns"] == [f"{index_name}-*"]
    # an index it matches gets the template's mapping
    assert es.put(f"/{index_name}-1").status_code == 200
    mapping = es.get(f"/{index_name}-1/_mapping").json()[f"{index_name}-1"]["mappings"]
    assert mapping["properties"]["code"] == {"type": "keyword"}
    row.locator("a", has_text=name).click()
    expect(page.locator("#template-name")).to_have_value(name)
    assert json.loads(page.input_value("#template-body"))["version"] == 3
    page.click("text=Cancel")
    row = page.locator(f"#templates-index tr[data-template='{name}']")
    row.locator("button", has_text="Delete").click()  # the page fixture accepts confirm()
    expect(row).to_have_count(0)
    assert es.get(f"/_index_template/{name}").status_code == 404
    # a legacy template refused by the server shows its reason
    page.click("#new-legacy-template")
    page.fill("#template-name", name)
    page.fill("#template-body", json.dumps({"order": 1}))
    page.click("#template-save")
    expect(page.locator("#template-status")).to_contain_text("index patterns are missing")
    assert es.delete(f"/{index_name}-1").status_code == 200


def test_aliases_are_added_and_removed(
        page: playwright_api.Page, server: Server, es: httpx.Client, index_name: str) -> None:
    bulk(es, index_name, [{"n": 1}])
    alias = f"{index_name}-alias"
    open_indices(page, server, "#indices/aliases")
    page.fill("#alias-name", alias)
    page.fill("#alias-index", index_name)
    page.check("#alias-write")
    page.click("#alias-add")
    row = page.locator(f"#aliases-table tr[data-alias='{alias}']")
    expect(row).to_contain_text("write index")
    expected = {index_name: {"aliases": {alias: {"is_write_index": True}}}}
    assert es.get(f"/_alias/{alias}").json() == expected
    row.locator("button", has_text="Remove").click()
    expect(row).to_have_count(0)
    assert es.get(f"/_alias/{alias}").status_code == 404
