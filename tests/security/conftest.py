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

SECURE_ENV = {"LOGHAVEN_SECURITY_ENABLED": "true",
              # snapshot repositories' folder, beside the data folder (the server's cwd)
              "LOGHAVEN_PATH_REPO": "repos"}


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


class SecureServer(Server):
    """A server with security enabled; ``auth`` is the bootstrapped admin's credentials."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir, env=SECURE_ENV)
        self.auth = ("admin", bootstrap(data_dir))

    def ready(self) -> bool:
        return httpx.get(self.url + "/", timeout=1, auth=self.auth).status_code == 200


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureServer]:
    """A secure server shared by a test module."""
    instance = SecureServer(tmp_path_factory.mktemp("secure") / "data").start()
    yield instance
    instance.stop()


@pytest.fixture
def admin(secure: SecureServer) -> Iterator[httpx.Client]:
    """A client of the secure server, authenticated as the bootstrapped admin."""
    with httpx.Client(base_url=secure.url, auth=secure.auth, timeout=30) as client:
        yield client


def role_user(server: SecureServer, admin: httpx.Client, name: str,
              role: dict) -> httpx.Client:
    """A role ``name`` and a user ``name`` holding it (password ``<Name>-Password-1``): a
    client authenticated as the user (the caller closes it)."""
    api = "/_plugins/_security/api"
    password = f"{name.title()}-Password-1"
    assert admin.put(f"{api}/roles/{name}", json=role).status_code == 201
    assert admin.put(f"{api}/internalusers/{name}", json={
        "password": password, "opendistro_security_roles": [name]}).status_code == 201
    return httpx.Client(base_url=server.url, timeout=30, auth=(name, password))
