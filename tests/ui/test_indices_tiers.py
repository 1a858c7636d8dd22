"""Index management's warm tier in a real browser (Debian's Chromium), against a server whose
warm tier is its local object store: every page of issue 19 loads without a script or console
error at a laptop's and a phone's width; an index moved to warm from its row (after the
confirmation) is marked warm, found by the tier filter, and moved back from its page with the
keyboard alone; a migration held at
a step shows its state and step in its row and in the Migrations page, and is cancelled
there."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright import sync_api as playwright_api
from playwright.sync_api import expect
from tests.ui.tierskit import (
    SIZES,
    fill,
    fits,
    shot,
    tiers_client,
    tiers_server,
    tiers_server_fixture,
)

from conftest import Server

#: tierskit's fixtures, this module's `server` and `client` (pytest finds them here).
__all__ = ["tiers_client", "tiers_server_fixture"]

#: Each page of issue 19 and an element only it has.
PAGES = {"indices": "#indices-tier", "migrations": "#migrations-list", "policies": "#policy-create",
         "policies/new": "#policy-preview-diagram", "policies/managed": "#managed-reload",
         "snapshots": "#snapshots-reload", "snapshots/repositories": "#repo-form",
         "snapshots/policies": "#sm-table"}
BOX_TYPE = "index.routing.allocation.require.box_type"


def box_type(client: httpx.Client, index: str) -> str | None:
    flat = client.get(f"/{index}/_settings?flat_settings=true").json()[index]["settings"]
    return flat.get(BOX_TYPE)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("route", PAGES)
def test_each_page_loads_without_errors(page: playwright_api.Page, server: Server,
                                        client: httpx.Client, route: str, size: str) -> None:
    if client.head("/tiers-page-sample").status_code == 404:
        fill(client, "tiers-page-sample", 3)
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{server.url}/_dashboards/#indices/{route}")
    page.wait_for_load_state("networkidle")
    expect(page.locator(PAGES[route])).to_be_visible()
    expect(page.locator("#indices-page .notice.error")).to_have_count(0)
    tab = route.split("/")[0].replace("migrations", "indices")
    expect(page.locator(f"#indices-nav a[data-page='{tab}']")).to_have_class("active")
    assert fits(page, width), "scrolls sideways"
    shot(page, f"indices-{route.replace('/', '-')}-{size}")


def test_an_index_moved_to_warm_is_marked_warm_and_moves_back(
        page: playwright_api.Page, server: Server, client: httpx.Client, index_name: str) -> None:
    fill(client, index_name)
    page.goto(f"{server.url}/_dashboards/#indices/indices?q={index_name}")
    row = page.locator(f"#indices-list tr[data-index='{index_name}']")
    expect(row.locator("td.tier .tag").first).to_have_text("hot")
    row.locator("button[data-action='to-warm']").click()
    expect(page.locator("dialog.confirm")).to_contain_text("read-only")
    page.click("#confirm-cancel")  # cancelled: nothing moves
    expect(page.locator("dialog.confirm")).to_have_count(0)
    assert client.get(f"/_ultrawarm/migration/{index_name}/_status").status_code == 404
    row.locator("button[data-action='to-warm']").click()
    page.click("#move-confirm")
    expect(row.locator("td.tier .tag").first).to_have_text("warm", timeout=90_000)
    expect(page.locator("#indices-status")).to_contain_text(f"{index_name} is on the warm tier")
    assert box_type(client, index_name) == "warm"
    assert client.get(f"/{index_name}/_count").json()["count"] == 30  # still searchable
    page.select_option("#indices-tier", "warm")
    expect(page.locator("#indices-list tbody tr")).to_have_count(1)
    page.select_option("#indices-tier", "hot")
    expect(row).to_have_count(0)
    page.select_option("#indices-tier", "warm")
    shot(page, "indices-warm")
    # Back to hot from the index's page, with the keyboard alone
    page.goto(f"{server.url}/_dashboards/#indices/index/{index_name}")
    expect(page.locator("[data-fact='tier'] .tag").first).to_have_text("warm")
    expect(page.locator("[data-fact='policy']")).to_have_text("none")
    shot(page, "index-warm")
    page.focus("#index-refresh")
    for _ in range(10):
        if page.evaluate("document.activeElement.dataset.action") == "to-hot":
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#move-confirm")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#index-status")).to_contain_text("it is on the hot tier now", timeout=90_000)
    expect(page.locator("[data-fact='tier'] .tag").first).to_have_text("hot")
    assert box_type(client, index_name) in (None, "hot")
    assert client.post(f"/{index_name}/_doc?refresh=true", json={"n": -1}).status_code == 201


@pytest.fixture
def paused(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose migrations wait at the start of their upload step."""
    yield from tiers_server(tmp_path_factory, LOGHAVEN_TEST_MIGRATION_PAUSE="upload")


def test_a_running_migration_shows_its_state_and_is_cancelled(
        paused: Server, page: playwright_api.Page, index_name: str) -> None:
    # ``paused`` before ``page``: the page (which polls the migrations) closes before its
    # server stops, or a poll in between is a console error at teardown
    other = f"{index_name}-other"
    with httpx.Client(base_url=paused.url, timeout=60) as client:
        fill(client, index_name)
        fill(client, other)
        page.goto(f"{paused.url}/_dashboards/#indices/indices")
        row = page.locator(f"#indices-list tr[data-index='{index_name}']")
        row.locator("button[data-action='to-warm']").click()
        page.click("#move-confirm")
        migration = row.locator(".migration")
        expect(migration).to_have_attribute("data-state", "RUNNING_FULL_SNAPSHOT", timeout=60_000)
        expect(migration).to_contain_text("hot → warm")
        expect(migration).to_contain_text("copying splits")
        expect(migration).to_contain_text("step upload")
        shot(page, "indices-migrating")
        # A migration started elsewhere (the API, ISM) is listed too, and cancelled here
        assert client.post(f"/_ultrawarm/migration/{other}/_warm").status_code == 200
        page.click("#indices-migrations")
        listed = page.locator(f"#migrations-list tr[data-index='{index_name}']")
        expect(listed).to_contain_text("copying splits")
        expect(page.locator(f"#migrations-list tr[data-index='{other}']")).to_have_count(1)
        shot(page, "indices-migrations")
        listed.locator("button:has-text('Cancel')").click()
        expect(listed).to_have_count(0, timeout=60_000)
        assert client.get(f"/_ultrawarm/migration/{index_name}/_status").status_code == 404
        assert box_type(client, index_name) in (None, "hot")
        answer = client.post(f"/{index_name}/_doc?refresh=true", json={"n": -1})
        assert answer.status_code == 201, answer.text  # the write block went with the cancel
        # The list follows a migration it found running when it opened, until it ends
        page.click("#indices-nav a[data-page='indices']")
        other_row = page.locator(f"#indices-list tr[data-index='{other}']")
        expect(other_row.locator(".migration")).to_contain_text("hot → warm", timeout=60_000)
        assert client.post(f"/_ultrawarm/migration/_cancel/{other}").status_code == 200
        expect(other_row.locator(".migration")).to_have_count(0, timeout=60_000)
        expect(other_row.locator("button[data-action='to-warm']")).to_be_visible()
        page.click("#indices-migrations")
        expect(page.locator("#migrations-list")).to_contain_text("No migration is queued or running")
