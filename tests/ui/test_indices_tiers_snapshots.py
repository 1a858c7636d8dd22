"""Index management → Snapshots in a real browser, against a server started with a
``path.repo``: an fs repository added in the form is listed and verified; a snapshot taken in
the form finishes with its indices and size; restoring it with a rename makes a second index
with the same documents; a deletion asks first; a snapshot policy created with a cron schedule
and a retention is listed, stopped, started and deleted."""

from __future__ import annotations

import httpx
from playwright import sync_api as playwright_api
from playwright.sync_api import expect
from tests.ui.tierskit import fill, shot, tiers_client, tiers_server_fixture

from conftest import Server

#: tierskit's fixtures, this module's `server` and `client` (pytest finds them here).
__all__ = ["tiers_client", "tiers_server_fixture"]


def add_repository(page: playwright_api.Page, server: Server, name: str) -> None:
    page.goto(f"{server.url}/_dashboards/#indices/snapshots/repositories")
    page.fill("#repo-name", name)
    page.fill("#repo-location", name)  # relative: under the first path.repo folder
    page.click("#repo-submit")
    expect(page.locator("#repositories-status")).to_contain_text(f"Added the repository {name}")


def test_a_repository_added_in_the_form_is_listed_and_verified(
        page: playwright_api.Page, server: Server, client: httpx.Client) -> None:
    page.goto(f"{server.url}/_dashboards/#indices/snapshots/repositories")
    page.fill("#repo-name", "outside")
    page.fill("#repo-location", "/etc/loghaven-outside")
    page.click("#repo-submit")
    expect(page.locator("#repositories-status .notice.error")).to_contain_text("path.repo")
    add_repository(page, server, "ui-verified")
    row = page.locator("#repositories-table tr[data-repository='ui-verified']")
    expect(row.locator("td.type")).to_have_text("fs")
    expect(row.locator("td.where")).to_contain_text("ui-verified")
    expect(row.locator("td.snapshots")).to_have_text("0")
    row.locator("button[data-action='verify']").click()
    expect(page.locator("#repositories-status")).to_contain_text("ui-verified is verified")
    assert client.get("/_snapshot/ui-verified").json()["ui-verified"]["type"] == "fs"
    shot(page, "snapshots-repositories")
    row.locator("button[data-action='delete']").click()
    page.click("#confirm-go")
    expect(row).to_have_count(0)
    assert client.get("/_snapshot/ui-verified").status_code == 404


def test_a_snapshot_taken_in_the_form_is_restored_with_a_rename(
        page: playwright_api.Page, server: Server, client: httpx.Client, index_name: str) -> None:
    fill(client, index_name, 25)
    add_repository(page, server, "ui-backups")
    page.goto(f"{server.url}/_dashboards/#indices/snapshots")
    page.select_option("#take-repository", "ui-backups")
    page.fill("#take-name", "first")
    page.fill("#take-indices", index_name)
    page.click("#take-submit")
    row = page.locator("#snapshots-table tr[data-snapshot='first']")
    expect(row.locator("td.state")).to_have_text("SUCCESS", timeout=60_000)
    expect(row.locator("td.indices")).to_have_text(index_name)
    expect(row.locator("td.size")).to_contain_text("B")
    shot(page, "snapshots")
    row.locator("button[data-action='restore']").click()
    expect(page.locator("#restore-indices")).to_have_value(index_name)
    expect(page.locator("#restore-replacement")).to_have_value("restored_$1")
    page.fill("#restore-replacement", "copy-$1")
    page.click("#restore-go")
    expect(page.locator("#snapshots-status")).to_contain_text(f"Restored copy-{index_name}",
                                                              timeout=60_000)
    client.post(f"/copy-{index_name}/_refresh")
    assert client.get(f"/copy-{index_name}/_count").json()["count"] == 25
    # Restoring over the index that exists is refused, with the server's reason
    row.locator("button[data-action='restore']").click()
    page.uncheck("#restore-rename")
    page.click("#restore-go")
    expect(page.locator("#snapshots-status .notice.error")).to_contain_text(index_name)
    row.locator("button[data-action='delete']").click()
    page.click("#confirm-cancel")
    expect(row).to_have_count(1)
    row.locator("button[data-action='delete']").click()
    page.click("#confirm-go")
    expect(row).to_have_count(0)
    assert client.get("/_snapshot/ui-backups/first").status_code == 404


def test_a_snapshot_policy_is_created_stopped_started_and_deleted(
        page: playwright_api.Page, server: Server, client: httpx.Client) -> None:
    add_repository(page, server, "ui-scheduled")
    page.goto(f"{server.url}/_dashboards/#indices/snapshots/policies")
    page.fill("#sm-name", "nightly")
    page.fill("#sm-description", "Every index at 03:00")
    page.select_option("#sm-repository", "ui-scheduled")
    page.fill("#sm-cron", "0 3 * * *")
    page.fill("#sm-max-age", "7d")
    page.fill("#sm-min-count", "2")
    page.click("#sm-submit")
    row = page.locator("#sm-table tr[data-policy='nightly']")
    expect(row.locator("td.schedule")).to_contain_text("0 3 * * * (UTC)")
    expect(row.locator("td.retention")).to_have_text("deletes older than 7d; keeps at least 2")
    expect(row.locator("td.enabled")).to_have_text("running")
    expect(row.locator("td.schedule")).to_contain_text("next")
    policy = client.get("/_plugins/_sm/policies/nightly").json()["sm_policy"]
    assert policy["creation"]["schedule"]["cron"]["expression"] == "0 3 * * *"
    assert policy["deletion"]["condition"] == {"max_age": "7d", "min_count": 2}
    assert policy["snapshot_config"]["repository"] == "ui-scheduled"
    shot(page, "snapshot-policies")
    row.locator("button[data-action='stop']").click()
    expect(row.locator("td.enabled")).to_have_text("stopped")
    assert client.get("/_plugins/_sm/policies/nightly").json()["sm_policy"]["enabled"] is False
    row.locator("button[data-action='start']").click()
    expect(row.locator("td.enabled")).to_have_text("running")
    row.locator("button[data-action='delete']").click()
    page.click("#confirm-go")
    expect(row).to_have_count(0)
    assert client.get("/_plugins/_sm/policies/nightly").status_code == 404
