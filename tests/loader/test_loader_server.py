"""``loghaven ingest`` and the server it talks to: unreachable, secured (Basic and API key),
over HTTPS, and without the parsers' pipelines."""

from __future__ import annotations

from pathlib import Path

import httpx
from loadkit import SAMPLES, count, ingest, write_ndjson

from conftest import HttpsServer, Server, free_port, make_ssl_context
from security.conftest import SecureServer


def test_unreachable_server_names_the_url(tmp_path: Path) -> None:
    source = write_ndjson(tmp_path / "a.ndjson", [{"n": 1}])
    url = f"http://127.0.0.1:{free_port()}"
    result = ingest("--index", "x", str(source), state=tmp_path, env={"LOGHAVEN_URL": url})
    assert result.returncode == 3
    assert f"cannot reach the server at {url}" in result.stderr


def test_security_on_basic_and_api_key(tmp_path: Path) -> None:
    secure = SecureServer(tmp_path / "data").start()
    try:
        user, password = secure.auth
        source = write_ndjson(tmp_path / "a.ndjson", [{"n": 1}, {"n": 2}])
        base = ["--url", secure.url, "--index", "secured", "--no-checkpoints", str(source)]

        anonymous = ingest(*base, state=tmp_path)
        assert anonymous.returncode == 3 and "refused the credentials (401)" in anonymous.stderr

        wrong = ingest(*base, "--user", f"{user}:not-{password}", state=tmp_path)
        assert wrong.returncode == 3 and f"not-{password}" not in wrong.stderr + wrong.stdout

        basic = ingest(*base, "--user", f"{user}:{password}", state=tmp_path)
        assert basic.returncode == 0, basic.stderr
        assert password not in basic.stdout + basic.stderr

        from_env = ingest(*base, state=tmp_path,
                          env={"LOGHAVEN_USER": user, "LOGHAVEN_PASSWORD": password})
        assert from_env.returncode == 0, from_env.stderr

        with httpx.Client(base_url=secure.url, auth=secure.auth, timeout=30) as admin:
            key = admin.post("/_security/api_key", json={"name": "loader"})
            assert key.status_code == 200, key.text
            keyed = ingest(*base, "--api-key", key.json()["encoded"], state=tmp_path)
            assert keyed.returncode == 0, keyed.stderr
            # three runs, the same two ids each time: the documents are there once
            assert count(admin, "secured") == 2
    finally:
        secure.stop()


def test_https_with_the_ca_certificate(tls_certs: Path, tmp_path: Path) -> None:
    server = HttpsServer(tmp_path / "data", tls_certs).start()
    try:
        source = write_ndjson(tmp_path / "a.ndjson", [{"n": 1}])
        untrusted = ingest("--url", server.url, "--index", "tls", str(source), state=tmp_path)
        assert untrusted.returncode == 3 and "CERTIFICATE_VERIFY_FAILED" in untrusted.stderr
        trusted = ingest("--url", server.url, "--index", "tls", "--ca-cert",
                         str(tls_certs / "ca.crt"), str(source), state=tmp_path)
        assert trusted.returncode == 0, trusted.stderr
        with httpx.Client(base_url=server.url, verify=make_ssl_context(tls_certs / "ca.crt")) as es:
            assert count(es, "tls") == 1
    finally:
        server.stop()


def test_a_parser_without_its_pipeline_says_what_to_do(fresh_server: Server,
                                                       tmp_path: Path) -> None:
    with httpx.Client(base_url=fresh_server.url, timeout=30) as es:
        assert es.delete("/_ingest/pipeline/loghaven-clf").status_code == 200
    source = tmp_path / "access.log"
    source.write_bytes((SAMPLES / "clf-access.log").read_bytes())
    explicit = ingest("--url", fresh_server.url, "--format", "clf", str(source), state=tmp_path)
    assert explicit.returncode == 3
    assert "no ingest pipeline [loghaven-clf]" in explicit.stderr
    assert "ingest.parsers.install: true" in explicit.stderr
    detected = ingest("--url", fresh_server.url, str(source), state=tmp_path)
    assert detected.returncode == 1 and "no ingest pipeline [loghaven-clf]" in detected.stderr
