"""The UI's login and logout in a real browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import httpx
import pytest
from playwright import sync_api as playwright_api

from conftest import watch

from .conftest import SecureServer

PASSWORD = "Bob-Password-1"


@pytest.fixture(scope="module", autouse=True)
def bob(secure: SecureServer) -> None:
    """bob reads ``logs-*`` only; the UI lists one index of each."""
    with httpx.Client(base_url=secure.url, auth=secure.auth, timeout=30) as admin:
        api = "/_plugins/_security/api"
        assert admin.put(f"{api}/roles/logs_reader", json={"index_permissions": [
            {"index_patterns": ["logs-*"], "allowed_actions": ["read", "indices:monitor/*"]}]}
        ).status_code == 201
        assert admin.put(f"{api}/internalusers/bob", json={
            "password": PASSWORD, "opendistro_security_roles": ["logs_reader"]}
        ).status_code == 201
        for index in ("logs-ui", "secret-ui"):
            assert admin.put(f"/{index}/_doc/1?refresh=true", json={"a": 1}).status_code == 201


def test_login_shows_the_user_s_indices_and_logout_ends_the_session(
        browser: playwright_api.Browser, secure: SecureServer, tmp_path) -> None:
    context = browser.new_context()
    page = context.new_page()
    problems = watch(page, http_errors=False)  # the wrong password is a 401 on purpose
    page.goto(secure.url + "/_dashboards/")
    playwright_api.expect(page).to_have_url(
        secure.url + "/_dashboards/login?nextUrl=%2F_dashboards%2F")
    page.fill("#username", "bob")
    page.fill("#password", "wrong")
    page.click("#submit")
    playwright_api.expect(page.locator("#message")).to_have_text("Invalid username or password")
    page.fill("#username", "bob")
    page.fill("#password", PASSWORD)
    page.click("#submit")
    playwright_api.expect(page.locator("#user-name")).to_have_text("bob")
    row = page.locator("#overview-indices tbody tr", has_text="logs-ui")
    row.wait_for()
    assert "secret-ui" not in page.inner_text("#overview-indices")  # bob's role sees logs-* only
    cookie, = [c for c in context.cookies() if c["name"] == "security_authentication"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    page.screenshot(path=str(tmp_path / "logged-in.png"))
    page.click("#logout")
    playwright_api.expect(page).to_have_url(secure.url + "/_dashboards/login")
    assert not [c for c in context.cookies() if c["name"] == "security_authentication"]
    page.goto(secure.url + "/_dashboards/")
    playwright_api.expect(page).to_have_url(
        secure.url + "/_dashboards/login?nextUrl=%2F_dashboards%2F")
    assert not problems
    context.close()
