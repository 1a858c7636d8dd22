"""Index management → Lifecycle policies in a real browser, against a server whose ISM job
runs every second: a policy created in the JSON editor (pre-filled with the hot-warm-delete
sample) is listed with its states and drawn as boxes and arrows; applied to an index in
Managed indices, the index is explained there (policy, state, info); an edit goes with
if_seq_no/if_primary_term and a stale one is refused with what to do; a failed action is
retried; the policy is changed and removed; a policy is deleted after a confirmation."""

from __future__ import annotations

import json
import re

import httpx
from playwright import sync_api as playwright_api
from playwright.sync_api import expect
from tests.ui.tierskit import fill, shot, tiers_client, tiers_server_fixture

from conftest import Server

#: tierskit's fixtures, this module's `server` and `client` (pytest finds them here).
__all__ = ["tiers_client", "tiers_server_fixture"]

ISM = "/_plugins/_ism"


def reload_until(page: playwright_api.Page, button: str, locator: playwright_api.Locator,
                 text: str, tries: int = 30) -> None:
    """Clicks ``button`` until ``locator`` shows ``text`` (the runner's next job), at most
    ``tries`` times a second apart."""
    for _ in range(tries):
        if text in (locator.text_content(timeout=5_000) or ""):
            return
        page.wait_for_timeout(1_000)
        page.click(button)
    expect(locator).to_contain_text(text)


def test_a_policy_made_in_the_editor_is_listed_drawn_and_explained_on_an_index(
        page: playwright_api.Page, server: Server, client: httpx.Client, index_name: str) -> None:
    fill(client, index_name, 5)
    page.goto(f"{server.url}/_dashboards/#indices/policies")
    page.click("#policy-create")
    sample = json.loads(page.input_value("#policy-body"))["policy"]
    assert [s["name"] for s in sample["states"]] == ["hot", "warm", "delete"]
    assert sample["states"][1]["actions"][0] == {"warm_migration": {}, "timeout": "24h",
                                                 "retry": {"count": 5, "delay": "1h"}}
    preview = page.locator("#policy-preview-diagram .state-box")
    expect(preview).to_have_count(3)
    page.fill("#policy-body", "{\"policy\": ")
    expect(page.locator("#policy-preview")).to_contain_text("not valid JSON")
    page.click("#policy-save")  # no id: the browser asks for one, nothing is sent
    assert page.eval_on_selector("#policy-id", "input => input.validity.valueMissing")
    page.fill("#policy-id", "ui-hot-warm")
    page.click("#policy-save")
    expect(page.locator("#policy-editor-status")).to_contain_text("not valid JSON")
    sample["description"] = "Hot for a week, warm until 90 days"
    page.fill("#policy-body", json.dumps({"policy": sample}, indent=2))
    expect(preview).to_have_count(3)
    shot(page, "policy-editor")
    page.click("#policy-save")
    expect(page.locator("#policy-title")).to_have_text("ui-hot-warm")
    stored = client.get(f"{ISM}/policies/ui-hot-warm").json()["policy"]
    assert stored["description"] == "Hot for a week, warm until 90 days"
    diagram = page.locator("#policy-diagram")
    expect(diagram.locator(".state-box")).to_have_count(3)
    expect(diagram.locator(".state-box.start")).to_have_attribute("data-state", "hot")
    expect(diagram.locator("[data-state='hot'] li[data-to='warm']")).to_have_text(
        "→ warm index older than 7d")
    expect(diagram.locator("[data-state='warm'] .state-actions")).to_contain_text(
        "warm_migration: timeout 24h")
    expect(diagram.locator(".state-arrow:not(.none)")).to_have_count(2)
    shot(page, "policy")

    page.click("#indices-nav a[data-page='policies']")
    row = page.locator("#policies-table tr[data-policy='ui-hot-warm']")
    expect(row.locator("td.states")).to_have_text("hotwarmdelete")
    expect(row.locator("td.managed")).to_have_text("0")

    page.goto(f"{server.url}/_dashboards/#indices/policies/managed")
    page.fill("#add-pattern", index_name)
    page.select_option("#add-policy", "ui-hot-warm")
    page.click("#add-policy-submit")
    expect(page.locator("#managed-status")).to_contain_text("1 index updated")
    managed = page.locator(f"#managed-table tr[data-index='{index_name}']")
    expect(managed.locator("td.policy")).to_have_text("ui-hot-warm")
    reload_until(page, "#managed-reload", managed.locator("td.state"), "hot")
    expect(managed.locator("td.failed")).to_have_text("no")
    explained = client.get(f"{ISM}/explain/{index_name}").json()[index_name]
    assert explained["policy_id"] == "ui-hot-warm" and explained["state"]["name"] == "hot"
    # the runner's message (it changes as the job runs each second)
    expect(managed.locator("td.info")).to_have_text(re.compile(
        r"Successfully initialized policy: ui-hot-warm|Evaluating transition conditions"))
    shot(page, "managed-indices")
    page.click(f"#managed-table tr[data-index='{index_name}'] td.name a")
    expect(page.locator("[data-fact='policy']")).to_have_text("ui-hot-warm · state hot")

    page.goto(f"{server.url}/_dashboards/#indices/policies")
    expect(row.locator("td.managed")).to_have_text("1")
    row.locator("button:has-text('Delete')").click()
    page.click("#confirm-cancel")
    expect(row).to_have_count(1)


def test_an_edit_is_guarded_by_its_sequence_number(
        page: playwright_api.Page, server: Server, client: httpx.Client) -> None:
    policy = {"description": "v1", "default_state": "open",
              "states": [{"name": "open", "actions": [], "transitions": []}]}
    assert client.put(f"{ISM}/policies/ui-guarded", json={"policy": policy}).status_code == 201
    page.goto(f"{server.url}/_dashboards/#indices/policies/edit/ui-guarded")
    expect(page.locator("#policy-id")).to_be_disabled()
    body = json.loads(page.input_value("#policy-body"))
    assert body["policy"]["description"] == "v1" and "policy_id" not in body["policy"]
    body["policy"]["description"] = "v2"
    page.fill("#policy-body", json.dumps(body))
    page.click("#policy-save")
    expect(page.locator("#policy-title")).to_have_text("ui-guarded")
    assert client.get(f"{ISM}/policies/ui-guarded").json()["policy"]["description"] == "v2"
    # Someone else saves meanwhile: this page's edit is refused, and says what to do
    page.goto(f"{server.url}/_dashboards/#indices/policies/edit/ui-guarded")
    expect(page.locator("#policy-body")).to_contain_text('"v2"')
    current = client.get(f"{ISM}/policies/ui-guarded").json()
    policy["description"] = "theirs"
    guard = f"?if_seq_no={current['_seq_no']}&if_primary_term={current['_primary_term']}"
    assert client.put(f"{ISM}/policies/ui-guarded{guard}", json={"policy": policy}).status_code == 200
    body["policy"]["description"] = "mine"
    page.fill("#policy-body", json.dumps(body))
    page.click("#policy-save")
    expect(page.locator("#policy-editor-status")).to_contain_text("409")
    expect(page.locator("#policy-editor-status")).to_contain_text("Someone changed the policy")
    assert client.get(f"{ISM}/policies/ui-guarded").json()["policy"]["description"] == "theirs"
    page.goto(f"{server.url}/_dashboards/#indices/policies/view/ui-guarded")
    page.click("#policy-delete")
    page.click("#confirm-go")
    expect(page).to_have_url(re.compile(r"#indices/policies$"))
    expect(page.locator("#policy-create")).to_be_visible()
    expect(page.locator("#policies-table tr[data-policy='ui-guarded']")).to_have_count(0)
    assert client.get(f"{ISM}/policies/ui-guarded").status_code == 404


def test_a_failed_index_is_retried_changed_and_removed(
        page: playwright_api.Page, server: Server, client: httpx.Client, index_name: str) -> None:
    # A rollover without a rollover_alias fails: the runner reports it and parks the index
    rolling = {"default_state": "roll", "description": "rolls over",
               "states": [{"name": "roll", "actions": [{"retry": {"count": 0}, "rollover": {"min_doc_count": 1}}],
                           "transitions": []}]}
    quiet = {"default_state": "idle", "description": "does nothing",
             "states": [{"name": "idle", "actions": [], "transitions": []}]}
    for name, policy in (("ui-rolling", rolling), ("ui-quiet", quiet)):
        assert client.put(f"{ISM}/policies/{name}", json={"policy": policy}).status_code == 201
    fill(client, index_name, 3)
    answer = client.post(f"{ISM}/add/{index_name}", json={"policy_id": "ui-rolling"}).json()
    assert answer["updated_indices"] == 1, answer
    page.goto(f"{server.url}/_dashboards/#indices/policies/managed")
    row = page.locator(f"#managed-table tr[data-index='{index_name}']")
    reload_until(page, "#managed-reload", row.locator("td.failed"), "failed", tries=60)
    expect(row.locator("td.info")).to_contain_text("rollover_alias")
    expect(row.locator("td.action")).to_have_text("rollover")
    shot(page, "managed-indices-failed")
    row.locator("button[data-action='retry']").click()
    expect(page.locator("#managed-status")).to_contain_text(f"Retried {index_name}: 1 index updated")
    row.locator("button[data-action='change']").click()
    page.select_option("#change-policy", "ui-quiet")
    page.click("#confirm-go")
    expect(page.locator("#managed-status")).to_contain_text("1 index updated")
    row.locator("button[data-action='remove']").click()
    page.click("#confirm-go")
    expect(page.locator("#managed-status")).to_contain_text(f"Removed the policy from {index_name}")
    expect(row).to_have_count(0)
    explained = client.get(f"{ISM}/explain/{index_name}").json()[index_name]
    assert explained.get("index.plugins.index_state_management.policy_id") is None
