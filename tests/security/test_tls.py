"""``loghaven certs`` and HTTPS: the certificates it makes, the three ways to configure them,
and the start-up errors for a pair that cannot serve."""

from __future__ import annotations

import os
import socket
import ssl
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from conftest import HttpsServer, free_port, make_ssl_context


def run(*args: str, cwd: Path, env: dict[str, str] | None = None,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LOGHAVEN_")}
    return subprocess.run([sys.executable, "-m", "loghaven", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd, env={**clean, **(env or {})})


def serve(tmp_path: Path, *args: str, env: dict[str, str] | None = None
          ) -> subprocess.CompletedProcess[str]:
    """A ``serve`` that is expected to refuse to start (so it exits by itself)."""
    return run("serve", "--port", str(free_port()), "--data-dir", str(tmp_path / "data"),
               *args, cwd=tmp_path, env=env)


def load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_certs_makes_a_ca_and_a_node_certificate_for_this_machine(tmp_path: Path) -> None:
    result = run("certs", "--out", "tls", "--hosts", "logs.example.com,10.1.2.3",
                 "--hosts", "search.internal", "--days", "30", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "tls"
    assert sorted(p.name for p in folder.iterdir()) == ["ca.crt", "ca.key", "node.crt",
                                                       "node.key"]
    for key in ("ca.key", "node.key"):
        assert stat.S_IMODE((folder / key).stat().st_mode) == 0o600
    ca, node = load(folder / "ca.crt"), load(folder / "node.crt")
    node.verify_directly_issued_by(ca)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert node.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    names = node.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(names.get_values_for_type(x509.DNSName)) == {
        "localhost", socket.gethostname().lower(), "logs.example.com", "search.internal"}
    assert {str(a) for a in names.get_values_for_type(x509.IPAddress)} == {
        "127.0.0.1", "::1", "10.1.2.3"}
    lifetime = node.not_valid_after_utc - node.not_valid_before_utc
    assert 29 < lifetime.days <= 30
    # it says what it wrote and how to use it
    cert, key = (folder / "node.crt").resolve(), (folder / "node.key").resolve()
    assert f"http.ssl.certificate: {cert}" in result.stdout
    assert f"http.ssl.key: {key}" in result.stdout
    assert str((folder / "ca.crt").resolve()) in result.stdout


def test_certs_keeps_existing_files_unless_forced(tmp_path: Path) -> None:
    assert run("certs", "--out", "tls", cwd=tmp_path).returncode == 0
    before = (tmp_path / "tls" / "ca.crt").read_bytes()
    again = run("certs", "--out", "tls", cwd=tmp_path)
    assert again.returncode == 1
    assert "already exist" in again.stderr and "--force" in again.stderr
    assert (tmp_path / "tls" / "ca.crt").read_bytes() == before
    forced = run("certs", "--out", "tls", "--force", cwd=tmp_path)
    assert forced.returncode == 0
    assert (tmp_path / "tls" / "ca.crt").read_bytes() != before
    assert stat.S_IMODE((tmp_path / "tls" / "ca.key").stat().st_mode) == 0o600


def get(server: HttpsServer, path: str = "/") -> httpx.Response:
    with httpx.Client(base_url=server.url, verify=make_ssl_context(server.ca),
                      timeout=30) as client:
        return client.get(path)


@pytest.fixture
def https_server(tmp_path: Path, tls_certs: Path) -> Iterator[HttpsServer]:
    instance = HttpsServer(tmp_path / "data", tls_certs).start()
    yield instance
    instance.stop()


def test_serves_https_with_the_flags(https_server: HttpsServer) -> None:
    response = get(https_server)
    assert response.status_code == 200
    assert response.json()["version"]["distribution"] == "opensearch"
    assert response.url.scheme == "https"
    # the plain-HTTP port is gone: the same port speaks only TLS
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{https_server.port}/", timeout=5)


def test_a_client_without_the_ca_is_refused(https_server: HttpsServer) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(https_server.url + "/", timeout=5)


def test_serves_https_from_the_environment(tmp_path: Path, tls_certs: Path) -> None:
    server = HttpsServer(tmp_path / "data", tls_certs)
    server.extra = ()
    server.env = {"LOGHAVEN_SSL_CERTIFICATE": str(tls_certs / "node.crt"),
                  "LOGHAVEN_SSL_KEY": str(tls_certs / "node.key")}
    try:
        assert get(server.start()).status_code == 200
    finally:
        server.stop()


def test_serves_https_from_the_config_file(tmp_path: Path, tls_certs: Path) -> None:
    config = tmp_path / "loghaven.yml"
    config.write_text(f"http:\n  ssl:\n    certificate: {tls_certs / 'node.crt'}\n"
                      f"    key: {tls_certs / 'node.key'}\n")
    server = HttpsServer(tmp_path / "data", tls_certs)
    server.extra = ("--config", str(config))
    try:
        assert get(server.start()).status_code == 200
    finally:
        server.stop()


def test_a_missing_certificate_stops_the_start(tmp_path: Path, tls_certs: Path) -> None:
    result = serve(tmp_path, "--ssl-certificate", str(tmp_path / "nope.crt"),
                   "--ssl-key", str(tls_certs / "node.key"))
    assert result.returncode == 2
    assert f"cannot read http.ssl.certificate [{tmp_path / 'nope.crt'}]" in result.stderr
    assert "loghaven certs" in result.stderr


def test_a_key_of_another_certificate_stops_the_start(tmp_path: Path, tls_certs: Path) -> None:
    result = serve(tmp_path, env={"LOGHAVEN_SSL_CERTIFICATE": str(tls_certs / "node.crt"),
                                  "LOGHAVEN_SSL_KEY": str(tls_certs / "ca.key")})
    assert result.returncode == 2
    assert f"http.ssl.key [{tls_certs / 'ca.key'}] is not the private key of " \
           f"http.ssl.certificate [{tls_certs / 'node.crt'}]" in result.stderr


def test_a_file_that_is_not_pem_stops_the_start(tmp_path: Path, tls_certs: Path) -> None:
    garbage = tmp_path / "garbage.crt"
    garbage.write_text("not a certificate\n")
    result = serve(tmp_path, "--ssl-certificate", str(garbage),
                   "--ssl-key", str(tls_certs / "node.key"))
    assert result.returncode == 2
    assert f"cannot load http.ssl.certificate [{garbage}]" in result.stderr
    assert "PEM" in result.stderr


def test_an_encrypted_key_stops_the_start_without_prompting(tmp_path: Path,
                                                            tls_certs: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key((tls_certs / "node.key").read_bytes(), None)
    locked = tmp_path / "locked.key"
    locked.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret")))
    result = serve(tmp_path, "--ssl-certificate", str(tls_certs / "node.crt"),
                   "--ssl-key", str(locked))
    assert result.returncode == 2
    assert "encrypted with a passphrase" in result.stderr


@pytest.mark.parametrize("given", ["certificate", "key"])
def test_one_of_the_pair_alone_stops_the_start(tmp_path: Path, tls_certs: Path,
                                                given: str) -> None:
    path = tls_certs / ("node.crt" if given == "certificate" else "node.key")
    result = serve(tmp_path, f"--ssl-{given}", str(path))
    assert result.returncode == 2
    other = "key" if given == "certificate" else "certificate"
    assert f"http.ssl.{given} is set but http.ssl.{other} is not" in result.stderr


def test_the_generated_certificate_serves_a_plain_ssl_client(https_server: HttpsServer) -> None:
    """The standard library's own verification (hostname included) accepts the pair."""
    context = ssl.create_default_context(cafile=str(https_server.ca))
    with socket.create_connection(("localhost", https_server.port), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname="localhost") as tls:
        assert tls.version() in ("TLSv1.2", "TLSv1.3")
        tls.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        assert tls.recv(12) == b"HTTP/1.1 200"
