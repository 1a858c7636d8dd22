"""Users and roles for the edge's tests, stored through the security service before the
server starts (as ``PUT _plugins/_security/api/...`` would store them)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx

from conftest import Server
from loghaven.config import Config
from loghaven.engine.recovery import open_metastore
from loghaven.security import entities
from loghaven.security.service import SecurityService
from loghaven.security.store import ROLES, USERS

PASSWORDS = {"admin": "Admin-Password-1", "bob": "Bob-Password-1"}
#: bob's team: data in ``logs-*`` (and creating it), writes only to ``drop-*``, reads through
#: the ``shared`` alias, monitoring of ``logs-*``; bulk, mget and msearch, no cluster monitoring.
LOGS_TEAM = {
    "cluster_permissions": ["cluster_composite_ops"],
    "index_permissions": [
        {"index_patterns": ["logs-*"], "allowed_actions": ["crud", "create_index",
                                                           "indices:monitor/*"]},
        {"index_patterns": ["drop-*"], "allowed_actions": ["write"]},
        {"index_patterns": ["shared"], "allowed_actions": ["read"]},
    ],
}


def configure(data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    metastore = open_metastore(data_dir)
    service = SecurityService(metastore, Config(data_dir=data_dir, security_enabled=True))

    def put(ctype: str, name: str, body: dict[str, Any]) -> None:
        changes, _ = entities.put(service.snapshot(), ctype, name, body)
        service.apply(changes, None)

    put(ROLES, "logs_team", LOGS_TEAM)
    put(USERS, "admin", {"password": PASSWORDS["admin"],
                         "opendistro_security_roles": ["all_access"]})
    put(USERS, "bob", {"password": PASSWORDS["bob"], "opendistro_security_roles": ["logs_team"]})
    metastore.close()


def basic(user: str, password: str | None = None) -> dict[str, str]:
    pair = f"{user}:{PASSWORDS[user] if password is None else password}"
    return {"authorization": "Basic " + base64.b64encode(pair.encode()).decode()}


class SecureServer(Server):
    """A server with security on, whose users and roles :func:`configure` stored."""

    def __init__(self, data_dir: Path) -> None:
        configure(data_dir)
        super().__init__(data_dir, env={"LOGHAVEN_SECURITY_ENABLED": "true"})

    def ready(self) -> bool:
        return httpx.get(self.url + "/", timeout=1).status_code == 401
