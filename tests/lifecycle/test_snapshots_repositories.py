"""Snapshot repositories through the HTTP API against a real server: names with ':' keep
their snapshots apart, one writable repository per location, and an S3 repository that
names another endpoint gets neither the node's keys nor the backend's error text."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from opensearchpy import OpenSearch
from tests.lifecycle.test_snapshots import FS_BUCKET, client_of, error_of, fill, listed

from conftest import Server, free_port


@pytest.fixture
def client(repo_node: Server) -> OpenSearch:
    return client_of(repo_node)


def put_fs(client: OpenSearch, name: str, location: str, **settings: object) -> None:
    client.snapshot.create_repository(repository=name, body={
        "type": "fs", "settings": {"location": location, **settings}})


def names(client: OpenSearch, repo: str) -> list[tuple[str, str]]:
    return [(s["snapshot"], s["state"]) for s in
            client.snapshot.get(repository=repo, snapshot="_all")["snapshots"]]


def test_repository_names_with_colons_keep_their_snapshots_apart(
        client: OpenSearch, repo_root: Path) -> None:
    put_fs(client, "co", "co")
    put_fs(client, "co:lon", "co-lon")
    # a file where the snapshots' metadata goes: the snapshot fails before it is listed
    (repo_root / "co-lon" / FS_BUCKET).mkdir(parents=True, exist_ok=True)
    (repo_root / "co-lon" / FS_BUCKET / "snapshots").write_bytes(b"in the way")
    client.indices.create(index="colon-a")
    fill(client, "colon-a", 0, 5)
    failed = client.snapshot.create(repository="co:lon", snapshot="c", body={
        "indices": "colon-a"}, params={"wait_for_completion": "true"})
    assert failed["snapshot"]["state"] == "FAILED"
    assert names(client, "co:lon") == [("c", "FAILED")]
    assert names(client, "co") == []  # not shown in the repository named by its prefix
    # "lon:c" in [co] is another snapshot than "c" in [co:lon]
    client.snapshot.create(repository="co", snapshot="lon:c", body={"indices": "colon-a"},
                           params={"wait_for_completion": "true"})
    assert names(client, "co") == [("lon:c", "SUCCESS")]
    client.snapshot.delete(repository="co:lon", snapshot="c")
    assert names(client, "co:lon") == []
    assert names(client, "co") == [("lon:c", "SUCCESS")]


def test_one_writable_repository_per_location(client: OpenSearch, repo_root: Path) -> None:
    put_fs(client, "writer", "shared")
    status_code, error = error_of(lambda: put_fs(client, "second", "shared"))
    assert (status_code, error["type"]) == (500, "repository_exception")
    assert error["reason"].startswith("[second] location [")
    assert "is already used by repository [writer]; register this one with [readonly: true]" \
        in error["reason"]
    status_code, error = error_of(lambda: put_fs(client, "second", f"{repo_root}/shared/."))
    assert "already used by repository [writer]" in error["reason"]  # the same folder
    put_fs(client, "reader", "shared", readonly=True)
    client.indices.create(index="shared-a")
    fill(client, "shared-a", 0, 5)
    client.snapshot.create(repository="writer", snapshot="s", body={"indices": "shared-a"},
                           params={"wait_for_completion": "true"})
    assert names(client, "reader") == [("s", "SUCCESS")]
    for call, reason in (
            (lambda: client.snapshot.delete(repository="reader", snapshot="s"),
             "[reader] cannot delete snapshot from a readonly repository"),
            (lambda: client.snapshot.create(repository="reader", snapshot="t"),
             "[reader] cannot create snapshot in a readonly repository"),
            (lambda: client.snapshot.cleanup_repository(repository="reader"),
             "[reader] cannot run cleanup on readonly repository")):
        status_code, error = error_of(call)
        assert (error["type"], error["reason"]) == ("repository_exception", reason)
    assert listed(repo_root / "shared") == ["s"]


class _Recorder(BaseHTTPRequestHandler):
    """An S3 endpoint of someone else's: records the requests, answers AccessDenied."""

    seen: list[dict[str, str]] = []

    def _answer(self) -> None:
        self.seen.append(dict(self.headers))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = (b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code>"
                b"<Message>backend-detail-7f3a internal path /srv/secret</Message></Error>")
        self.send_response(403)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_HEAD = do_DELETE = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_s3_repository_of_another_endpoint_gets_no_node_keys(tmp_path: Path) -> None:
    recorder = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=recorder.serve_forever, daemon=True).start()
    node_key = "NODEACCESSKEY7F3A"
    server = Server(tmp_path / "data", env={
        "LOGHAVEN_OBJECT_STORE_S3_ENDPOINT": f"http://127.0.0.1:{free_port()}",
        "LOGHAVEN_OBJECT_STORE_S3_ACCESS_KEY": node_key,
        "LOGHAVEN_OBJECT_STORE_S3_SECRET_KEY": "node-secret-7f3a",
        "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
        "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}).start()
    try:
        client = client_of(server)
        endpoint = f"http://127.0.0.1:{recorder.server_address[1]}"
        _, error = error_of(lambda: client.snapshot.create_repository(
            repository="theirs", body={"type": "s3", "settings": {
                "bucket": "bucket", "endpoint": endpoint, "path_style_access": True}}))
        assert error["type"] == "repository_verification_exception"
        assert error["reason"].startswith("[theirs] store location [")
        assert error["reason"].endswith("] is not accessible on the node")
        assert not any(node_key in h.get("Authorization", "") for h in _Recorder.seen)
        # with keys of its own it reaches the endpoint; the answer's text is not echoed
        _, error = error_of(lambda: client.snapshot.create_repository(
            repository="theirs", body={"type": "s3", "settings": {
                "bucket": "bucket", "endpoint": endpoint, "path_style_access": True,
                "access_key": "THEIRKEY", "secret_key": "their-secret"}}))
        assert error["type"] == "repository_verification_exception"
        assert any("THEIRKEY" in h.get("Authorization", "") for h in _Recorder.seen)
        assert "backend-detail-7f3a" not in str(error)  # the backend's text stays in the log
        assert "backend-detail-7f3a" in server.log.read_text()
        assert "their-secret" not in server.log.read_text()
    finally:
        server.stop()
        recorder.shutdown()
