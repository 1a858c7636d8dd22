"""The security modes at start-up: off by default with a banner saying so, ``--secure`` (or
``security.enabled``) with the ``admin`` password printed once, and the bind rule between
them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import Server, free_port, printed_admin_passwords
from loghaven.config import Config
from loghaven.network import anonymous_bind_refusal, security_warnings


class FirstStartServer(Server):
    """A ``serve --secure`` on loopback; it answers ``/`` with 401 once the edge asks for
    credentials, which is as ready as it gets."""

    def ready(self) -> bool:
        return httpx.get(self.url + "/", timeout=1).status_code in (200, 401)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10"])
def test_beyond_loopback_is_refused_without_security_and_suggests_it(host: str) -> None:
    refusal = anonymous_bind_refusal(Config(host=host))
    assert refusal is not None
    assert "security is off" in refusal
    assert "--secure" in refusal and "LOGHAVEN_SECURITY_ENABLED" in refusal
    assert "security.enabled: true" in refusal
    assert "--allow-anonymous" in refusal  # still the explicit way to accept it


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10"])
def test_beyond_loopback_is_allowed_with_security(host: str) -> None:
    assert anonymous_bind_refusal(Config(host=host, security_enabled=True)) is None


def test_the_warnings_of_each_mode() -> None:
    (banner,) = security_warnings(Config(port=9333))
    assert banner.startswith("security is off: anyone who can reach 127.0.0.1:9333 has full "
                             "access")
    assert "--secure" in banner
    (clear,) = security_warnings(Config(host="0.0.0.0", security_enabled=True))
    assert "TLS is off" in clear and "in clear" in clear and "http.ssl.certificate" in clear
    assert security_warnings(Config(security_enabled=True)) == []  # loopback: no one listens
    assert security_warnings(Config(host="0.0.0.0", security_enabled=True,
                                    ssl_certificate="node.crt", ssl_key="node.key")) == []


def test_the_default_start_says_security_is_off(server: Server) -> None:
    text = server.log.read_text()
    assert f"security is off: anyone who can reach 127.0.0.1:{server.port} has full access" \
        in text


@pytest.fixture
def first_start(tmp_path: Path) -> Iterator[FirstStartServer]:
    instance = FirstStartServer(tmp_path / "data", "--secure")
    yield instance
    instance.stop()


def test_the_first_secure_start_prints_the_admin_password_once(
        first_start: FirstStartServer) -> None:
    secure = first_start.start()
    text = secure.log.read_text()
    passwords = printed_admin_passwords(secure)
    assert len(passwords) == 1
    password = passwords[0]
    assert len(password) >= 16
    assert httpx.get(secure.url + "/", auth=("admin", password), timeout=10).status_code == 200
    assert httpx.get(secure.url + "/", timeout=10).status_code == 401
    # printed for the operator, never through the logger (whose lines may be shipped)
    json_lines = [line for line in text.splitlines() if line.startswith("{")]
    assert json_lines and not any(password in line for line in json_lines)
    assert "security is off" not in text
    assert password not in "".join(
        p.read_text(errors="replace") for p in secure.data_dir.rglob("*")
        if p.is_file() and p.suffix in (".log", ".json", ".yml"))
    secure.restart()
    assert len(printed_admin_passwords(secure)) == 1  # not again on the next start


def test_security_on_from_the_environment(tmp_path: Path) -> None:
    instance = FirstStartServer(tmp_path / "data", env={"LOGHAVEN_SECURITY_ENABLED": "true"})
    try:
        instance.start()
        assert len(printed_admin_passwords(instance)) == 1
    finally:
        instance.stop()


def test_a_secure_server_may_listen_beyond_loopback_and_warns_without_tls(
        tmp_path: Path) -> None:
    """Bound to every address (so reachable only through loopback here: no traffic leaves)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGHAVEN_")}
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "loghaven", "serve", "--host", "0.0.0.0", "--port",
             str(port), "--data-dir", str(tmp_path / "data"), "--secure"],
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    try:
        status = None
        deadline = time.monotonic() + 30
        while status is None and process.poll() is None and time.monotonic() < deadline:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code
            except httpx.HTTPError:
                time.sleep(0.1)
        assert status in (200, 401), log.read_text()
        assert "TLS is off" in log.read_text()
    finally:
        process.terminate()
        process.wait(15)
