"""Fixtures of the snapshot tests: a module's own server whose ``path.repo`` is a folder of
its own, where ``fs`` repositories may live."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import Server


@pytest.fixture(scope="module")
def repo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("repos")


@pytest.fixture(scope="module")
def repo_node(tmp_path_factory: pytest.TempPathFactory, repo_root: Path) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("snapshots")
    server = Server(base / "data", env={"LOGHAVEN_PATH_REPO": str(repo_root)}).start()
    yield server
    server.stop()
