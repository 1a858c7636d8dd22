"""storage/objects.py's file methods (the warm tier's transfers): streamed puts and gets on a
local folder and on a real S3 server (SeaweedFS), multipart with per-part checksums beyond the
threshold, and short or corrupted answers detected with nothing half-written left behind."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import S3Store
from tests.storage.test_objects import s3_store

from loghaven.storage.blobs import BlobFile, BlobStore
from loghaven.storage.objects import (
    MULTIPART_THRESHOLD,
    ObjectStore,
    ObjectStoreError,
    S3ObjectStore,
)


def _folder_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_put_file_get_file_head(store: tuple[ObjectStore, str], tmp_path: Path) -> None:
    objects, bucket = store
    small = tmp_path / "small.bin"
    small.write_bytes(os.urandom(100_000))
    large = tmp_path / "large.bin"
    large.write_bytes(os.urandom(MULTIPART_THRESHOLD + 12_345))  # multipart on S3: 2 parts
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    for source, key in ((small, "u/s/small"), (large, "u/s/large"), (empty, "u/s/empty")):
        info = objects.put_file(bucket, key, source)
        assert (info.key, info.size) == (key, source.stat().st_size)
        assert objects.head(bucket, key) == info
        out = tmp_path / "out" / source.name
        out.parent.mkdir(exist_ok=True)
        assert objects.get_file(bucket, key, out) == source.stat().st_size
        assert out.read_bytes() == source.read_bytes()
    assert objects.head(bucket, "u/s/none") is None
    assert objects.head(bucket, "u/s") is None  # a "folder" of keys is no object
    assert _folder_files(tmp_path / "out") == ["empty.bin", "large.bin", "small.bin"]


def test_get_file_of_a_missing_object_leaves_nothing(store: tuple[ObjectStore, str],
                                                     tmp_path: Path) -> None:
    objects, bucket = store
    objects.ensure_bucket(bucket)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(KeyError):
        objects.get_file(bucket, "u/s/none", out / "f")
    assert _folder_files(out) == []


def test_get_file_replaces_whole(store: tuple[ObjectStore, str], tmp_path: Path) -> None:
    objects, bucket = store
    objects.put(bucket, "k", b"new contents")
    target = tmp_path / "target"
    target.write_bytes(b"old")
    objects.get_file(bucket, "k", target)
    assert target.read_bytes() == b"new contents"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_s3_put_file_multipart_parts_carry_checksums(s3: S3Store, tmp_path: Path) -> None:
    objects, bucket = s3_store(s3), s3.bucket()
    data = os.urandom(2 * MULTIPART_THRESHOLD + 1)
    source = tmp_path / "big"
    source.write_bytes(data)
    objects.put_file(bucket, "big", source)
    client = s3.client()
    head = client.head_object(Bucket=bucket, Key="big")
    assert head["ETag"].endswith('-3"') and head["ContentLength"] == len(data)
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    small = tmp_path / "small"
    small.write_bytes(b"checked")
    objects.put_file(bucket, "small", small)
    head = client.head_object(Bucket=bucket, Key="small", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(b"checked").digest()) \
        .decode()


def test_s3_ensure_bucket_creates_once(s3: S3Store) -> None:
    objects = s3_store(s3)
    name = f"warm-{os.urandom(4).hex()}"
    objects.ensure_bucket(name)
    objects.ensure_bucket(name)
    assert name in [b["Name"] for b in s3.client().list_buckets()["Buckets"]]


class _Lying(BaseHTTPRequestHandler):
    """An S3 endpoint whose GET answers are short (the connection breaks mid-body) or carry a
    checksum that does not match the body (bytes damaged on the way or at rest)."""

    mode = "short"
    body = b"0123456789" * 1000
    gets: list[str] = []

    def do_GET(self) -> None:
        type(self).gets.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.send_header("Last-Modified", "Sat, 05 Dec 2026 04:00:00 GMT")
        if self.mode == "short":
            self.end_headers()
            self.wfile.write(self.body[:100])
            self.wfile.flush()
            self.close_connection = True
            return
        wrong = base64.b64encode(hashlib.sha256(b"other bytes").digest()).decode()
        self.send_header("x-amz-checksum-sha256", wrong)
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def _lying_store(mode: str) -> Iterator[S3ObjectStore]:
    """An S3ObjectStore on a :class:`_Lying` endpoint answering in ``mode``."""
    _Lying.mode = mode
    _Lying.gets = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Lying)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield S3ObjectStore(endpoint=f"http://127.0.0.1:{server.server_port}",
                            access_key="k", secret_key="s", max_attempts=1, retries=1,
                            backoff_s=0.01)
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("mode,message", [
    ("short", r"\[u/s/f\] in bucket \[warm\] at s3 http://127.0.0.1:\d+ arrived short 2 times: "
              r"100 \D+ 10000"),
    ("corrupt", r"failed its integrity check"),
])
def test_s3_short_or_corrupted_object_is_detected(tmp_path: Path, mode: str,
                                                  message: str) -> None:
    with _lying_store(mode) as objects, pytest.raises(ObjectStoreError, match=message):
        objects.get_file("warm", "u/s/f", tmp_path / "f")
    assert len(_Lying.gets) == 2  # tried again once, then reported
    assert _folder_files(tmp_path) == []  # nothing half-written


@pytest.mark.parametrize("mode,message", [
    ("short", r"arrived short 2 times"), ("corrupt", r"failed its integrity check")])
def test_s3_object_damaged_on_the_way_is_fetched_again_before_it_is_called_damaged(
        tmp_path: Path, mode: str, message: str) -> None:
    """A split file streams from S3 through zstd: the body is not a zstd frame, but the
    transfer's own failure (a short body, a checksum botocore rejects) is what counts, and
    it is tried again."""
    body = _Lying.body
    blob = BlobFile("f", len(body), hashlib.sha256(body).hexdigest(), "u/s/f", len(body))
    folder = tmp_path / "split"
    folder.mkdir()
    with _lying_store(mode) as objects, pytest.raises(ObjectStoreError, match=message):
        BlobStore(objects, "warm").download([blob], folder)
    assert len(_Lying.gets) == 2
    assert _folder_files(folder) == []
