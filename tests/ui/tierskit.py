"""What the issue 19 UI tests share: a server of their own whose warm tier is the local object
store, with a ``path.repo`` for fs snapshot repositories and a fast ISM job; an index with a
few documents; and a look at the page's layout (no sideways scrolling). A test module that
imports ``tiers_server_fixture`` and ``tiers_client`` gets them as its ``server`` and
``client``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright import sync_api as playwright_api

from conftest import Server

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
SIZES = {"laptop": (1280, 800), "phone": (390, 844)}


def tiers_server(tmp_path_factory: pytest.TempPathFactory, **env: str) -> Iterator[Server]:
    """A server with ``path.repo`` (its ``repo`` attribute) and a 1 s ISM job interval."""
    base = tmp_path_factory.mktemp("tiers")
    repo = base / "repo"
    repo.mkdir()
    server = Server(base / "data", env={"LOGHAVEN_PATH_REPO": str(repo),
                                        "LOGHAVEN_ISM_JOB_INTERVAL": "1s", **env}).start()
    server.repo = repo  # type: ignore[attr-defined]
    yield server
    server.stop()


@pytest.fixture(scope="module", name="server")
def tiers_server_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``server`` in the modules that import this: one tiers server per module."""
    yield from tiers_server(tmp_path_factory)


@pytest.fixture(scope="module", name="client")
def tiers_client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


def fill(client: httpx.Client, index: str, docs: int = 30) -> None:
    assert client.put(f"/{index}", json={"settings": {"index": {"number_of_replicas": 0}}}) \
        .status_code == 200
    action = json.dumps({"index": {"_index": index}})
    lines = "".join(f"{action}\n{json.dumps({'n': n, 'message': f'line {n}'})}\n"
                    for n in range(docs))
    answer = client.post("/_bulk?refresh=true", content=lines,
                         headers={"Content-Type": "application/x-ndjson"})
    assert answer.status_code == 200 and not answer.json()["errors"], answer.text


def shot(page: playwright_api.Page, name: str) -> None:
    """A screenshot of the whole page into build/screenshots/ (looked at, not compared)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def fits(page: playwright_api.Page, width: int) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width
