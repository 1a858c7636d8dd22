"""The UI's Security pages in a real browser (Debian's Chromium driven by Playwright): an
administrator builds a role with DLS and FLS, a user and its mapping through the pages; the
user then sees only what the role allows, manages its API keys and its password."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest
from playwright import sync_api as playwright_api
from playwright.sync_api import expect

from conftest import watch

from .conftest import SecureServer

CAROL = "Carol-Password-1"


@pytest.fixture(scope="module", autouse=True)
def documents(secure: SecureServer) -> None:
    """Two teams' documents in ``logs-team``, and an index carol's role does not name."""
    with httpx.Client(base_url=secure.url, auth=secure.auth, timeout=30) as admin:
        lines = b""
        for n, team in enumerate(["blue", "red", "blue"], 1):
            lines += (b'{"index":{"_id":"%d"}}\n{"team":"%s","message":"m%d","secret":"s%d"}\n'
                      % (n, team.encode(), n, n))
        assert admin.post("/logs-team/_bulk?refresh=true", content=lines,
                          headers={"content-type": "application/x-ndjson"}).status_code == 200
        assert admin.put("/other-team/_doc/1?refresh=true", json={"team": "blue"}) \
            .status_code == 201


class Session:
    """A browser page of the UI (its own cookies) that records every script error and console
    error; the refusals the pages show on purpose (answers >= 400) are not errors here."""

    def __init__(self, browser: playwright_api.Browser, server: SecureServer) -> None:
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.url = server.url
        self.problems = watch(self.page, http_errors=False)
        self.page.on("dialog", lambda dialog: dialog.accept())

    @classmethod
    def of(cls, browser: playwright_api.Browser, server: SecureServer,
           username: str, password: str) -> Session:
        """A new session of this user, logged in through the login page."""
        session = cls(browser, server)
        session.login(username, password)
        return session

    def login(self, username: str, password: str) -> None:
        self.page.goto(self.url + "/_dashboards/")
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.page.click("#submit")
        expect(self.page.locator("#user-name")).to_have_text(username)

    def go(self, route: str) -> None:
        self.page.goto(f"{self.url}/_dashboards/#{route}")

    def add(self, chips: playwright_api.Locator, *values: str) -> None:
        for value in values:
            chips.locator("input").fill(value)
            chips.locator("input").press("Enter")

    def logout(self) -> None:
        self.page.click("#logout")
        expect(self.page).to_have_url(self.url + "/_dashboards/login")

    def close(self) -> None:
        self.context.close()
        assert not self.problems  # no script error, no CSP refusal


def test_admin_builds_a_role_with_dls_and_a_user_who_then_sees_only_that(
        browser: playwright_api.Browser, secure: SecureServer, tmp_path: Path) -> None:
    ui = Session.of(browser, secure, *secure.auth)
    page = ui.page
    # The role: logs-* read with a DLS query, the secret field excluded, team masked.
    ui.go("security/roles")
    builtin = page.locator("tr[data-role=all_access]")
    expect(builtin).to_contain_text("reserved")
    assert builtin.locator("text=Edit").count() == 0  # built-in roles are read-only
    page.click("#create-role")
    page.fill("#role-form input[name=name]", "blue_reader")
    page.click("#add-index-permission")
    block = page.locator(".index-permission")
    ui.add(block.locator(".chips[data-name=index_patterns]"), "logs-*")
    offered = block.locator(".chips[data-name=allowed_actions] datalist option")
    assert "indices_monitor" in [offered.nth(i).get_attribute("value")
                                 for i in range(offered.count())]  # the picker's groups
    ui.add(block.locator(".chips[data-name=allowed_actions]"), "read", "indices_monitor")
    block.locator("textarea.dls").fill('{"term": {"team": "blue"}}')
    block.locator("select.fls-mode").select_option("exclude")
    ui.add(block.locator(".chips[data-name=fls]"), "secret")
    ui.add(block.locator(".chips[data-name=masked_fields]"), "team")
    page.screenshot(path=str(tmp_path / "role-form.png"), full_page=True)
    page.click("#save-role")
    expect(page).to_have_url(f"{secure.url}/_dashboards/#security/roles/view/blue_reader")
    expect(page.locator("#security-page")).to_contain_text('{"term": {"team": "blue"}}')
    expect(page.locator("#security-page")).to_contain_text("exclude secret")
    page.screenshot(path=str(tmp_path / "role-view.png"), full_page=True)
    page.click("#edit-role")  # the form shows the role as it is: saving changes nothing
    expect(page.locator("#role-form select.fls-mode")).to_have_value("exclude")
    page.click("#save-role")
    expect(page.locator("#security-page")).to_contain_text("exclude secret")

    # The user: passwords must match; then created with a backend role.
    ui.go("security/users/new")
    page.fill("#user-form input[name=username]", "carol")
    page.fill("#user-form input[name=password]", CAROL)
    page.fill("#user-form input[name=repeat]", "something else")
    page.click("#save-user")
    expect(page.locator("#user-form .notice.error")).to_have_text(
        "The passwords do not match.")
    page.fill("#user-form input[name=repeat]", CAROL)
    ui.add(page.locator("#user-form .chips[data-name=backend_roles]"), "blue-team")
    page.click("#user-form >> text=Add attribute")
    page.fill("#user-form .attribute-key", "dept")
    page.fill("#user-form .attribute-value", "ops")
    page.click("#save-user")
    expect(page).to_have_url(f"{secure.url}/_dashboards/#security/users")
    expect(page.locator("tr[data-user=carol]")).to_contain_text("blue-team")
    expect(page.locator("tr[data-user=carol]")).to_contain_text("dept=ops")

    # A refusal shows the server's reason: a role that does not exist.
    ui.go("security/users/edit/carol")
    ui.add(page.locator("#user-form .chips[data-name=roles]"), "no_such_role")
    page.click("#save-user")
    expect(page.locator("#user-form .notice.error")).to_have_text(
        "404: role 'no_such_role' not found.")

    # The mapping: carol by name.
    ui.go("security/mappings/edit/blue_reader")
    ui.add(page.locator("#mapping-form .chips[data-name=users]"), "carol")
    page.click("#save-mapping")
    expect(page.locator("tr[data-role=blue_reader]")).to_contain_text("carol")
    ui.go("security/users")
    expect(page.locator("tr[data-user=carol]")).to_contain_text("blue_reader")
    page.screenshot(path=str(tmp_path / "users.png"), full_page=True)
    ui.logout()
    ui.close()

    # carol sees logs-team only, only the blue documents, and no secret field.
    ui = Session.of(browser, secure, "carol", CAROL)
    page = ui.page
    page.click("#user-name")
    expect(page.locator("#user-roles")).to_have_text("blue_reader")
    expect(page.locator("#user-backend-roles")).to_have_text("blue-team")
    page.screenshot(path=str(tmp_path / "who-am-i.png"))
    page.click("#user-name")
    page.locator("#overview-indices tbody tr", has_text="logs-team").wait_for()
    assert "other-team" not in page.inner_text("#overview-indices")
    ui.go("console")
    page.fill("#request", "GET logs-*/_search")
    page.click("#send")
    expect(page.locator("#status")).to_have_text("200")
    answer = page.inner_text("#response")
    assert '"value": 2' in answer and '"m1"' in answer and '"m3"' in answer
    assert "red" not in answer and "secret" not in answer  # DLS, FLS
    assert '"team"' in answer and "blue" not in answer  # masked
    # The security configuration is not carol's: the page shows the server's 403 reason.
    ui.go("security/users")
    expect(page.locator("#security-page .notice.error")).to_contain_text(
        "403: no permissions for [restapi:admin/internalusers]")
    page.screenshot(path=str(tmp_path / "forbidden.png"), full_page=True)
    ui.close()


def test_api_keys_are_created_shown_once_and_invalidated(
        browser: playwright_api.Browser, secure: SecureServer, tmp_path: Path) -> None:
    with httpx.Client(base_url=secure.url, auth=secure.auth, timeout=30) as admin:
        assert admin.put("/_plugins/_security/api/internalusers/dave", json={
            "password": "Dave-Password-1", "opendistro_security_roles": ["readall"]}
        ).status_code == 201
        admins_key = admin.post("/_security/api_key", json={"name": "admins-key"}).json()
    ui = Session.of(browser, secure, "dave", "Dave-Password-1")
    page = ui.page
    ui.go("security/apikeys")
    expect(page.locator("#security-page table")).to_contain_text("No API keys.")
    assert admins_key["id"] not in page.inner_text("#security-page")  # only one's own
    page.fill("#key-name", "shipper")
    page.fill("#key-descriptors", "{not json")
    page.click("#create-key")
    expect(page.locator("#key-form .notice.error")).to_contain_text("Role descriptors are not JSON")
    page.fill("#key-descriptors", '{"r": {"indices": [{"names": ["logs-*"], "privileges": '
                                  '["read"]}]}}')
    page.fill("#key-expiration", "1d")
    page.click("#create-key")
    encoded = page.locator("#new-key-value").input_value()
    ui.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.click("#copy-key")
    expect(page.locator("#created-key")).to_contain_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == encoded
    key_id = base64.b64decode(encoded).decode().partition(":")[0]
    row = page.locator(f"tr[data-key='{key_id}']")
    expect(row).to_contain_text("active")
    expect(row).to_contain_text("dave")
    page.screenshot(path=str(tmp_path / "api-keys.png"), full_page=True)
    with_key = {"authorization": f"ApiKey {encoded}"}
    who = httpx.get(secure.url + "/_security/_authenticate", headers=with_key, timeout=30)
    assert who.json()["username"] == "dave"
    row.locator("text=Invalidate").click()
    expect(row).to_contain_text("invalidated")
    assert httpx.get(secure.url + "/_security/_authenticate", headers=with_key,
                     timeout=30).status_code == 401
    page.reload()  # the secret is never shown again
    expect(page.locator(f"tr[data-key='{key_id}']")).to_contain_text("invalidated")
    assert page.locator("#new-key-value").count() == 0
    assert encoded not in page.content()
    ui.close()

    ui = Session.of(browser, secure, *secure.auth)  # the administrator sees every user's keys
    ui.go("security/apikeys")
    expect(ui.page.locator(f"tr[data-key='{key_id}']")).to_contain_text("dave")
    expect(ui.page.locator(f"tr[data-key='{admins_key['id']}']")).to_be_visible()
    ui.page.check("#only-mine")
    expect(ui.page.locator(f"tr[data-key='{key_id}']")).to_have_count(0)
    expect(ui.page.locator(f"tr[data-key='{admins_key['id']}']")).to_be_visible()
    ui.close()


def test_users_change_their_own_password_and_admins_reset_it(
        browser: playwright_api.Browser, secure: SecureServer, tmp_path: Path) -> None:
    with httpx.Client(base_url=secure.url, auth=secure.auth, timeout=30) as admin:
        assert admin.put("/_plugins/_security/api/internalusers/erin", json={
            "password": "Erin-Password-1"}).status_code == 201
    ui = Session.of(browser, secure, "erin", "Erin-Password-1")
    page = ui.page
    page.click("#user-name")
    page.click("#account-link")
    expect(page.locator("#account-name")).to_have_text("erin")
    page.fill("#current-password", "wrong")
    page.fill("#new-password", "Erin-Password-2")
    page.fill("#repeat-password", "Erin-Password-2")
    page.click("#change-password")
    expect(page.locator("#account .notice.error")).to_have_text(
        "400: Could not validate your current password.")
    page.fill("#current-password", "Erin-Password-1")
    page.click("#change-password")
    expect(page.locator("#account .notice.success")).to_have_text("'erin' updated.")
    page.screenshot(path=str(tmp_path / "account.png"), full_page=True)
    assert httpx.get(secure.url + "/", auth=("erin", "Erin-Password-2"),
                     timeout=30).status_code != 401
    ui.close()

    ui = Session.of(browser, secure, *secure.auth)
    page = ui.page
    ui.go("security/users/edit/erin")
    page.fill("#reset-password input[name=password]", "Erin-Password-3")
    page.fill("#reset-password input[name=repeat]", "Erin-Password-3")
    page.click("#reset-password button[type=submit]")
    expect(page.locator("#reset-password .notice.success")).to_have_text("'erin' updated.")
    assert httpx.get(secure.url + "/", auth=("erin", "Erin-Password-3"),
                     timeout=30).status_code != 401
    ui.go("security/users")
    page.locator("tr[data-user=erin] >> text=Delete").click()
    expect(page.locator("tr[data-user=erin]")).to_have_count(0)
    ui.close()


def test_custom_action_groups_are_created_edited_and_deleted(
        browser: playwright_api.Browser, secure: SecureServer, tmp_path: Path) -> None:
    ui = Session.of(browser, secure, *secure.auth)
    page = ui.page
    ui.go("security/actiongroups")
    expect(page.locator("tr[data-group=read]")).to_contain_text("static")
    page.click("#create-group")
    page.fill("#group-form input[name=name]", "read_and_count")
    ui.add(page.locator("#group-form .chips"), "read", "indices:data/read/count")
    page.click("#save-group")
    expect(page.locator("tr[data-group=read_and_count]")).to_contain_text(
        "read, indices:data/read/count")
    ui.go("security/actiongroups/edit/read_and_count")
    page.locator("#group-form .chip[data-value=read] button").click()
    page.click("#save-group")
    row = page.locator("tr[data-group=read_and_count]")
    expect(row).not_to_contain_text("read, ")
    page.screenshot(path=str(tmp_path / "action-groups.png"), full_page=True)
    row.locator("text=Delete").click()
    expect(page.locator("tr[data-group=read_and_count]")).to_have_count(0)
    ui.close()
