"""What the ISM runner's tests share: a server whose ISM job runs every second (the ``ism``
server of a module: :func:`module_server`), opensearch-py pointed at it,
and a bounded wait on ``explain``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError

from conftest import Server

#: The job every second (OpenSearch's setting is minutes; a time value is accepted too).
ISM_ENV = {"LOGHAVEN_ISM_JOB_INTERVAL": "1s"}


def ism_server(data_dir: Path, **env: str) -> Server:
    return Server(data_dir, env={**ISM_ENV, **env})


def module_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A module's server (``pytest.fixture(scope="module", name="ism")(module_server)``):
    the ISM job every second, ``path.repo`` for fs repositories."""
    base = tmp_path_factory.mktemp("ism")
    (base / "repo").mkdir()
    server = ism_server(base / "data", LOGHAVEN_PATH_REPO=str(base / "repo")).start()
    yield server
    server.stop()


def module_client(ism: Server) -> OpenSearch:
    """opensearch-py on the module's server (``pytest.fixture(name="client")(...)``)."""
    return client_for(ism)


def client_for(server: Server) -> OpenSearch:
    return OpenSearch(server.url, timeout=30)


def explain(client: OpenSearch, index: str) -> dict[str, Any]:
    """The index's explain entry; empty once the index (and so its record) is gone."""
    try:
        return client.plugins.index_management.explain_index(index=index).get(index) or {}
    except NotFoundError:
        return {}


def wait_explain(client: OpenSearch, index: str, done: Callable[[dict[str, Any]], bool],
                 timeout: float = 45) -> dict[str, Any]:
    """Poll explain until ``done`` holds (at most ``timeout`` seconds); the last answer."""
    return explain_history(client, index, done, timeout)[-1]


def explain_history(client: OpenSearch, index: str, done: Callable[[dict[str, Any]], bool],
                    timeout: float = 45) -> list[dict[str, Any]]:
    """Every distinct explain answer seen while polling until ``done`` holds."""
    deadline = time.monotonic() + timeout
    seen: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        found = explain(client, index)
        if not seen or seen[-1] != found:
            seen.append(found)
        if done(found):
            return seen
        time.sleep(0.2)
    raise AssertionError(f"explain of {index} never matched; seen: {seen[-5:]}")


def message(found: dict[str, Any]) -> str:
    return str((found.get("info") or {}).get("message", ""))


def step(found: dict[str, Any]) -> tuple[str | None, str | None]:
    s = found.get("step") or {}
    return s.get("name"), s.get("step_status")


def state(found: dict[str, Any]) -> str | None:
    return (found.get("state") or {}).get("name")


def put_policy(client: OpenSearch, policy_id: str, states: list[dict[str, Any]],
               default_state: str, **extra: Any) -> dict[str, Any]:
    body = {"policy": {"description": f"{policy_id} (test)", "default_state": default_state,
                       "states": states, **extra}}
    return client.plugins.index_management.put_policy(policy=policy_id, body=body)
