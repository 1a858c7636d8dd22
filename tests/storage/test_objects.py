"""storage/objects.py at its contract: the same tests run against a local folder and against a
real S3 server (SeaweedFS, the session's ``s3`` fixture); then what only one of them has:
multipart uploads and checksums, retries and their errors, hostile names, the settings."""

from __future__ import annotations

import base64
import hashlib
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import S3Store, free_port

from loghaven.config import Config
from loghaven.storage.objects import (
    MULTIPART_THRESHOLD,
    LocalObjectStore,
    ObjectStore,
    ObjectStoreError,
    S3ObjectStore,
    object_store,
)


def s3_store(s3: S3Store, **options: Any) -> S3ObjectStore:
    return S3ObjectStore(endpoint=s3.endpoint_url, region=s3.region, access_key=s3.access_key,
                         secret_key=s3.secret_key, **options)


def keys(store: ObjectStore, bucket: str, prefix: str = "") -> list[str]:
    return [info.key for info in store.list(bucket, prefix)]


def test_put_get_list_delete(store: tuple[ObjectStore, str]) -> None:
    objects, bucket = store
    contents = {"b/2": b"two", "a": b"", "b/1": bytes(range(256)), "c/d/e.gz": b"e" * 1000,
                "b-": b"dash", "\u00e9t\u00e9/x y": b"unicode and space"}
    for key, data in contents.items():
        objects.put(bucket, key, data)
    for key, data in contents.items():
        assert objects.get(bucket, key) == data
    # Key order is S3's (UTF-8 bytes): "b-" sorts before "b/" ('-' < '/').
    assert keys(objects, bucket) == ["a", "b-", "b/1", "b/2", "c/d/e.gz", "\u00e9t\u00e9/x y"]
    assert keys(objects, bucket, "b/") == ["b/1", "b/2"]
    assert keys(objects, bucket, "b") == ["b-", "b/1", "b/2"]
    assert keys(objects, bucket, "c/d/e") == ["c/d/e.gz"]
    assert keys(objects, bucket, "nothing/") == []
    sizes = {info.key: info.size for info in objects.list(bucket)}
    assert sizes["b/1"] == 256 and sizes["a"] == 0
    now_ms = time.time() * 1000
    assert all(abs(info.modified_ms - now_ms) < 600_000 for info in objects.list(bucket))

    objects.put(bucket, "b/2", b"replaced")
    assert objects.get(bucket, "b/2") == b"replaced"
    objects.delete(bucket, "b/2")
    objects.delete(bucket, "b/2")  # missing: no error
    objects.delete(bucket, "never/was")
    with pytest.raises(KeyError):
        objects.get(bucket, "b/2")
    with pytest.raises(KeyError):
        objects.get(bucket, "c/d")  # a "folder" is no object
    assert keys(objects, bucket, "b/") == ["b/1"]


@pytest.mark.parametrize("key", ["", "/etc/passwd", "../outside", "a/../../outside", "a/./b",
                                 "a//b", "a/", "nul\x00byte", "x" * 1025,
                                 "folder/" + "y" * 256, "a/.b.abc123.tmp"])
def test_hostile_keys_are_refused(store: tuple[ObjectStore, str], key: str,
                                  tmp_path: Path) -> None:
    objects, bucket = store
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    with pytest.raises(ObjectStoreError, match="invalid object key"):
        objects.put(bucket, key, b"x")
    with pytest.raises(ObjectStoreError, match="invalid object key"):
        objects.get(bucket, key)
    with pytest.raises(ObjectStoreError, match="invalid object key"):
        objects.delete(bucket, key)
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before
    assert keys(objects, bucket) == []


@pytest.mark.parametrize("bucket", ["..", "../x", "a/b", "UPPER", "ab", "x" * 64, "-start",
                                    "end-", "two..dots", "192.168.1.1", "xn--punycode",
                                    "has_underscore", "nul\x00"])
def test_hostile_bucket_names_are_refused(store: tuple[ObjectStore, str], bucket: str) -> None:
    objects, _ = store
    with pytest.raises(ObjectStoreError, match="invalid bucket name"):
        objects.put(bucket, "key", b"x")
    with pytest.raises(ObjectStoreError, match="invalid bucket name"):
        list(objects.list(bucket))


def test_local_layout_and_atomic_writes(tmp_path: Path) -> None:
    objects = LocalObjectStore(tmp_path / "root")
    objects.put("backups", "2026/12/04/stream-1-x", b"data")
    assert (tmp_path / "root/backups/2026/12/04/stream-1-x").read_bytes() == b"data"
    # A partly written object (a crash before the rename) is never listed or read.
    (tmp_path / "root/backups/2026/12/04/.stream-1-y.k3j2.tmp").write_bytes(b"half")
    assert keys(objects, "backups") == ["2026/12/04/stream-1-x"]
    objects.put("backups", "2026/12/04/stream-1-x", b"new")
    assert sorted(os.listdir(tmp_path / "root/backups/2026/12/04")) == [
        ".stream-1-y.k3j2.tmp", "stream-1-x"]
    # Deleting the last object of a folder removes the empty folders it leaves.
    objects.delete("backups", "2026/12/04/stream-1-x")
    (tmp_path / "root/backups/2026/12/04/.stream-1-y.k3j2.tmp").unlink()
    objects.delete("backups", "2026/12/04/other")
    objects.put("backups", "2026", b"now a file")
    assert objects.get("backups", "2026") == b"now a file"


def test_local_object_and_folder_of_one_name(tmp_path: Path) -> None:
    objects = LocalObjectStore(tmp_path)
    objects.put("b1k", "a/b", b"x")
    with pytest.raises(ObjectStoreError, match="cannot also be an object"):
        objects.put("b1k", "a", b"y")
    with pytest.raises(ObjectStoreError, match="cannot also be a folder"):
        objects.put("b1k", "a/b/c", b"z")
    assert objects.get("b1k", "a/b") == b"x"


def test_local_symlink_cannot_lead_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "root/b1k").mkdir(parents=True)
    (tmp_path / "root/b1k/link").symlink_to(outside)
    objects = LocalObjectStore(tmp_path / "root")
    for key in ("link/x", "link/deeper/x"):
        with pytest.raises(ObjectStoreError, match="outside"):
            objects.put("b1k", key, b"escape")
    assert list(outside.iterdir()) == []
    (outside / "secret").write_bytes(b"s")
    with pytest.raises(ObjectStoreError, match="outside"):
        objects.get("b1k", "link/secret")


def test_s3_multipart_beyond_threshold(s3: S3Store) -> None:
    objects, bucket = s3_store(s3), s3.bucket()
    small = os.urandom(1024) * (MULTIPART_THRESHOLD // 1024)  # exactly the threshold
    large = small + b"one more part"
    objects.put(bucket, "small", small)
    objects.put(bucket, "large", large)
    assert objects.get(bucket, "small") == small
    assert objects.get(bucket, "large") == large
    client = s3.client()
    assert "-" not in client.head_object(Bucket=bucket, Key="small")["ETag"]
    assert client.head_object(Bucket=bucket, Key="large")["ETag"].endswith('-2"')
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_s3_objects_carry_their_checksum(s3: S3Store) -> None:
    objects, bucket = s3_store(s3), s3.bucket()
    objects.put(bucket, "k", b"checked")
    head = s3.client().head_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(b"checked").digest()).decode()


def test_s3_unreachable_endpoint_fails_after_retries() -> None:
    objects = S3ObjectStore(endpoint=f"http://127.0.0.1:{free_port()}", access_key="k",
                            secret_key="s", max_attempts=1, retries=2, backoff_s=0.01,
                            connect_timeout_s=1)
    with pytest.raises(ObjectStoreError, match=r"cannot reach s3 http://127\.0\.0\.1:\d+ after 3 "
                                               r"attempts.*check object_store\.s3\.endpoint"):
        objects.put("backups", "k", b"x")


def test_s3_server_errors_are_retried_then_reported() -> None:
    seen: list[str] = []

    class SlowDown(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            seen.append(self.path)
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = (b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate."
                    b"</Message></Error>")
            self.send_response(503)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowDown)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        objects = S3ObjectStore(endpoint=f"http://127.0.0.1:{server.server_port}",
                                access_key="k", secret_key="s", max_attempts=2, retries=2,
                                backoff_s=0.01)
        with pytest.raises(ObjectStoreError, match=r"kept failing after 3 attempts.*SlowDown"):
            objects.put("backups", "k", b"x")
    finally:
        server.shutdown()
        server.server_close()
    # botocore's own 2 attempts, for each of ours.
    assert seen == ["/backups/k"] * 6


def test_s3_wrong_keys_are_explained(s3: S3Store) -> None:
    objects = S3ObjectStore(endpoint=s3.endpoint_url, access_key="wrong", secret_key="wrong",
                            retries=0)
    with pytest.raises(ObjectStoreError, match=r"denied.*object_store\.s3\.access_key"):
        objects.put(s3.bucket(), "k", b"x")


def test_s3_missing_bucket_is_explained(s3: S3Store) -> None:
    objects = s3_store(s3, retries=0)
    with pytest.raises(ObjectStoreError, match=r"bucket \[no-such-bucket-17\] does not exist "
                                               r"at s3 http.*create it"):
        list(objects.list("no-such-bucket-17"))


def test_s3_without_boto3_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    config = Config(object_store_type="s3")
    with pytest.raises(ObjectStoreError, match=r"pip install 'loghaven\[s3\]'"):
        object_store(config)


def test_object_store_from_settings(tmp_path: Path, s3: S3Store) -> None:
    config = Config(data_dir=tmp_path / "data")
    local = object_store(config)
    assert local.describe() == f"local folder {tmp_path / 'data' / 'buckets'}"
    local.put("b1k", "k", b"v")
    assert (tmp_path / "data/buckets/b1k/k").read_bytes() == b"v"
    config.set("object_store_path", str(tmp_path / "elsewhere"))
    assert object_store(config).describe() == f"local folder {tmp_path / 'elsewhere'}"

    for key, value in {"object_store_type": "s3", "object_store_s3_endpoint": s3.endpoint_url,
                       "object_store_s3_access_key": s3.access_key,
                       "object_store_s3_secret_key": s3.secret_key}.items():
        config.set(key, value)
    remote = object_store(config)
    assert remote.describe() == f"s3 {s3.endpoint_url}"
    bucket = s3.bucket()
    remote.put(bucket, "k", b"v")
    assert s3.client().get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"

    config.set("object_store_type", "nfs")
    with pytest.raises(ObjectStoreError, match=r"unknown object_store.type \[nfs\]: use local"):
        object_store(config)
