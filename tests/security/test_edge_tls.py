"""The session cookie is ``Secure`` when the request came over TLS (the ASGI scope's scheme,
which uvicorn sets to ``https`` under ``http.ssl.*``), in process with the real service."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from loghaven.api.app import create_app
from loghaven.config import Config
from loghaven.node import Node


def login_cookie(data: Path, base_url: str) -> list[str]:
    node = Node(Config(data_dir=data, security_enabled=True))
    password = node.security.bootstrap()
    app = create_app(node, manage_lifecycle=False)

    async def login() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url=base_url) as client:
            return await client.post("/_dashboards/auth/login", headers={"osd-xsrf": "true"},
                                     json={"username": "admin", "password": password})

    try:
        response = asyncio.run(login())
    finally:
        node.close()
    assert response.status_code == 200
    return [a.strip() for a in response.headers["set-cookie"].split(";")]


def test_cookie_is_secure_over_tls_only(tmp_path: Path) -> None:
    assert "Secure" in login_cookie(tmp_path / "tls", "https://localhost")
    assert "Secure" not in login_cookie(tmp_path / "plain", "http://localhost")
