"""Every view of the UI's nav in a real browser at a laptop's width (1280 px) and a phone's
(390 px): it loads without a script or console error, without sideways scrolling and without a
request to anywhere but the server, and the nav is usable with the keyboard alone (skip link,
Menu button at phone width)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright import sync_api as playwright_api
from playwright.sync_api import expect

from conftest import Server

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
VIEWS = ["overview", "discover", "visualize", "dashboards", "console", "workbench", "alerting",
         "notifications", "ingest", "indices", "operations", "management", "security"]
SIZES = {"laptop": (1280, 800), "phone": (390, 844)}


def nav_views(page: playwright_api.Page) -> list[str]:
    return page.locator("#main-nav a").evaluate_all("links => links.map(a => a.dataset.view)")


def test_the_list_of_views_is_the_nav(page: playwright_api.Page, server: Server) -> None:
    page.goto(server.url + "/_dashboards/")
    assert nav_views(page) == VIEWS


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("view", VIEWS)
def test_each_view_loads_without_errors(page: playwright_api.Page, server: Server, view: str,
                                        size: str) -> None:
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(server.url + f"/_dashboards/#{view}")
    page.wait_for_load_state("networkidle")
    elsewhere = [url for url in requested
                 if not url.startswith((server.url + "/", "data:", "blob:"))]
    assert requested and not elsewhere, elsewhere  # no CDN, font or tracker: the server only
    shown = page.locator("section.view").evaluate_all("views => views.filter(v => !v.hidden).map(v => v.id)")
    assert shown == [view]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "scrolls sideways"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"view-{view}-{size}.png"))


def focused(page: playwright_api.Page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.getAttribute('href') || ''")


def tab_to(page: playwright_api.Page, target: str, key: str = "Tab", limit: int = 20) -> None:
    """Presses ``key`` until the element ``target`` (an id or href) has the focus."""
    seen = []
    for _ in range(limit):
        page.keyboard.press(key)
        seen.append(focused(page))
        if seen[-1] == target:
            return
    raise AssertionError(f"{target} not reached with {key}: focus went to {seen}")


def tab_through_nav(page: playwright_api.Page) -> list[str]:
    """The links the next Tab presses reach, one per view."""
    reached = []
    for _ in range(len(VIEWS)):
        page.keyboard.press("Tab")
        reached.append(focused(page))
    return reached


def test_the_skip_link_and_every_nav_link_are_reached_with_the_keyboard_on_a_laptop(
        page: playwright_api.Page, server: Server) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    # No fragment: with one (#overview) the browser starts Tab at that section, whose index
    # links come before the skip link is reached again.
    page.goto(server.url + "/_dashboards/")
    page.wait_for_load_state("networkidle")
    tab_to(page, "skip-link", limit=3)
    expect(page.get_by_role("link", name="Skip to content")).to_be_in_viewport()
    # Every link, in the nav's order, by Tab alone; Enter follows one.
    assert tab_through_nav(page) == [f"#{view}" for view in VIEWS]
    # The focus ring is drawn (an outline, not the browser's "none").
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    for _ in range(VIEWS.index("security") - VIEWS.index("ingest")):
        page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.locator("section#ingest")).to_be_visible()

    # The skip link moves the focus into the page and leaves the route alone.
    tab_to(page, "skip-link", "Shift+Tab")
    page.keyboard.press("Enter")
    assert focused(page) == "main"
    assert page.evaluate("location.hash") == "#ingest"
    expect(page.locator("section#ingest")).to_be_visible()


def test_the_menu_button_opens_and_closes_the_nav_on_a_phone(
        page: playwright_api.Page, server: Server) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(server.url + "/_dashboards/")  # no fragment: Tab starts at the page's top
    menu = page.get_by_role("button", name="Menu")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_be_hidden()
    page.wait_for_load_state("networkidle")
    tab_to(page, "skip-link", limit=5)  # from wherever the page put the starting point
    page.keyboard.press("Tab")
    expect(menu).to_be_focused()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav).to_be_visible()
    assert tab_through_nav(page) == [f"#{view}" for view in VIEWS]
    page.screenshot(path=str(SCREENSHOTS / "nav-phone-open.png"))
    # Escape closes it and gives the focus back to the button.
    page.keyboard.press("Escape")
    expect(nav).to_be_hidden()
    expect(menu).to_be_focused()
    # Following a link closes it too.
    menu.click()
    nav.get_by_role("link", name="Alerting").click()
    expect(page.locator("section#alerting")).to_be_visible()
    expect(nav).to_be_hidden()
    expect(menu).to_have_attribute("aria-expanded", "false")

