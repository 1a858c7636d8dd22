"""Fixtures: a real server with ``security.enabled: true`` and its admin credentials."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import Server
from loghaven.config import Config
from loghaven.engine.recovery import open_metastore
from loghaven.security.service import SecurityService

SECURE_ENV = {"LOGHAVEN_SECURITY_ENABLED": "true"}


def bootstrap(data_dir: Path) -> str:
    """The first secure start's bootstrap, run on the data folder before the server starts
    (the server then finds the admin in place): the generated admin password."""
    data_dir.mkdir(parents=True, exist_ok=True)
    metastore = open_metastore(data_dir)
    try:
        config = Config()
        config.security_enabled = True
        password = SecurityService(metastore, config).bootstrap()
    finally:
        metastore.close()
    assert password is not None
    return password


def secure_server(data_dir: Path) -> Server:
    password = bootstrap(data_dir)
    return Server(data_dir, env=SECURE_ENV, auth=("admin", password))


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A secure server shared by a test module; ``secure.auth`` is the admin's name and
    password."""
    instance = secure_server(tmp_path_factory.mktemp("secure") / "data").start()
    yield instance
    instance.stop()


@pytest.fixture
def admin(secure: Server) -> Iterator[httpx.Client]:
    """A client of the secure server, authenticated as the bootstrapped admin."""
    with httpx.Client(base_url=secure.url, auth=secure.auth, timeout=30) as client:
        yield client
