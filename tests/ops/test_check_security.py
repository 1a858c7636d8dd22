"""``loghaven check`` against a secured node (Basic auth, API keys, a user without the
permissions, refused credentials) and over HTTPS (the CA file, ``--insecure``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.ops.checkkit import check, check_json
from tests.security.conftest import SecureServer, role_user

from conftest import HttpsServer


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureServer]:
    server = SecureServer(tmp_path_factory.mktemp("secure") / "data").start()
    yield server
    server.stop()


@pytest.fixture
def admin(secure: SecureServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=secure.url, auth=secure.auth, timeout=30) as client:
        yield client


def test_credentials_refused_or_missing_cannot_check(secure: SecureServer) -> None:
    user, password = secure.auth
    anonymous = check("--url", secure.url)
    assert anonymous.returncode == 2
    assert "refused the credentials (401): give --user NAME --password" in anonymous.stderr
    wrong = check("--url", secure.url, "--user", user, "--password", f"not-{password}")
    assert wrong.returncode == 2 and "(401)" in wrong.stderr
    assert f"not-{password}" not in wrong.stdout + wrong.stderr
    code, report = check_json("--url", secure.url)
    assert code == 2 and "(401)" in report["error"]
    no_password = check("--url", secure.url, "--user", user)  # no terminal to ask on
    assert no_password.returncode == 2 and "--user NAME:PASSWORD" in no_password.stderr


def test_basic_auth_in_every_form_and_an_api_key(secure: SecureServer,
                                                 admin: httpx.Client) -> None:
    user, password = secure.auth
    key = admin.post("/_security/api_key", json={"name": "check"})
    assert key.status_code == 200, key.text
    forms = [(["--user", user, "--password", password], None),
             (["--user", f"{user}:{password}"], None),
             ([], {"LOGHAVEN_USER": user, "LOGHAVEN_PASSWORD": password}),
             (["--api-key", key.json()["encoded"]], None)]
    for args, env in forms:
        code, report = check_json("--url", secure.url, *args, env=env)
        assert code in (0, 1), report
        assert report["overview"]["security_enabled"] is True
        assert "open_without_auth" not in {w["code"] for w in report["warnings"]}
        assert password not in str(report)


def test_a_user_without_the_permissions_is_told_what_to_use(secure: SecureServer,
                                                            admin: httpx.Client) -> None:
    reader = role_user(secure, admin, "logreader", {"index_permissions": [
        {"index_patterns": ["logs-*"], "allowed_actions": ["read"]}]})
    reader.close()
    done = check("--url", secure.url, "--user", "logreader:Logreader-Password-1")
    assert done.returncode == 2
    assert "does not let this user read GET" in done.stderr
    assert "(403" in done.stderr and "all_access role" in done.stderr


def test_https_with_the_ca_file_or_insecure(tls_certs: Path, tmp_path: Path) -> None:
    server = HttpsServer(tmp_path / "data", tls_certs).start()
    try:
        untrusted = check("--url", server.url)
        assert untrusted.returncode == 2 and "CERTIFICATE_VERIFY_FAILED" in untrusted.stderr
        assert "--ca-cert FILE" in untrusted.stderr
        code, report = check_json("--url", server.url, "--ca-cert", str(tls_certs / "ca.crt"))
        assert code == 1 and report["url"] == server.url
        code, report = check_json("--url", server.url, "--insecure")
        assert code == 1 and report["overview"]["node_name"] == "loghaven-1"
    finally:
        server.stop()
