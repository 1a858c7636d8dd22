"""Request bodies: http.max_content_length bounds the decompressed size, decompression runs
in bounded memory off the event loop, and broken compressed bodies are 400s."""

from __future__ import annotations

import gzip
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from conftest import Server

LIMIT = 10 * 1024 * 1024
MiB = 1024 * 1024


def ndjson(*lines: object) -> bytes:
    return b"".join(orjson.dumps(line) + b"\n" for line in lines)


def proc_status(pid: int, field: str) -> int:
    """A ``/proc/<pid>/status`` field in bytes (VmRSS, VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def gzip_bomb(total: int) -> bytes:
    """``total`` zero bytes as a multi-member gzip of 16 MiB members (about 1/1000 the size)."""
    member = gzip.compress(bytes(16 * MiB), compresslevel=9)
    return member * (total // (16 * MiB))


def zlib_bomb(total: int, *, raw: bool) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
    block = bytes(16 * MiB)
    return b"".join(compressor.compress(block) for _ in range(total // len(block))) \
        + compressor.flush()


@pytest.fixture
def small_limit(tmp_path: Path) -> Iterator[Server]:
    server = Server(tmp_path / "data", "--ingest-workers", "0",
                    env={"LOGHAVEN_MAX_CONTENT_LENGTH": "10mb"}).start()
    yield server
    server.kill()


@pytest.mark.parametrize("encoding,body", [
    ("gzip", lambda: gzip_bomb(1024 * MiB)),
    ("deflate", lambda: zlib_bomb(256 * MiB, raw=False)),
    ("deflate", lambda: zlib_bomb(256 * MiB, raw=True)),
], ids=["gzip-multi-member-1GiB", "deflate-zlib-256MiB", "deflate-raw-256MiB"])
def test_compressed_bomb_is_413_in_bounded_memory(small_limit: Server, encoding: str,
                                                  body: object) -> None:
    assert small_limit.process is not None
    pid = small_limit.process.pid
    data = body()  # type: ignore[operator]
    assert len(data) < LIMIT  # the compressed body itself is well within the limit
    before = proc_status(pid, "VmRSS")
    started = time.monotonic()
    response = httpx.post(small_limit.url + "/_bulk", content=data, timeout=30, headers={
        "content-type": "application/x-ndjson", "content-encoding": encoding})
    assert response.status_code == 413, response.text[:500]
    assert response.json()["error"]["type"] == "content_too_long_exception"
    assert time.monotonic() - started < 5
    # The peak resident size grew by no more than the limit (plus the interpreter's slack).
    grown = proc_status(pid, "VmHWM") - before
    assert grown < LIMIT + 40 * MiB, f"server memory grew by {grown // MiB} MiB"
    assert httpx.get(small_limit.url + "/", timeout=5).status_code == 200


@pytest.mark.parametrize("encoding,compress", [
    ("deflate", lambda b: zlib.compress(b)),
    ("deflate", lambda b: zlib.compress(b, wbits=-zlib.MAX_WBITS)),
    ("gzip", lambda b: gzip.compress(b[:40]) + gzip.compress(b[40:])),
], ids=["deflate-zlib", "deflate-raw", "gzip-two-members"])
def test_compressed_bodies_are_accepted(es: httpx.Client, index_name: str, encoding: str,
                                        compress: object) -> None:
    body = ndjson({"index": {"_index": index_name, "_id": "1"}}, {"a": 1},
                  {"index": {"_index": index_name, "_id": "2"}}, {"a": 2})
    response = es.post("/_bulk?refresh=true", content=compress(body),  # type: ignore[operator]
                       headers={"content-type": "application/x-ndjson",
                                "content-encoding": encoding})
    assert response.status_code == 200, response.text[:500]
    assert response.json()["errors"] is False
    assert es.get(f"/{index_name}/_count").json()["count"] == 2


@pytest.mark.parametrize("encoding,body", [
    ("gzip", b"\x1f\x8b\x08\x00garbage that is not deflate data at all"),
    ("gzip", gzip.compress(b'{"query":{"match_all":{}}}')[:-6]),
    ("gzip", b"plain text, not gzip"),
    ("deflate", b"\x78\x9cgarbage after a zlib header"),
    ("deflate", b"\xff\xfe\xfd garbage"),
    ("deflate", zlib.compress(b'{"query":{"match_all":{}}}') + b"trailing"),
], ids=["gzip-garbage", "gzip-truncated", "gzip-not-gzip", "zlib-garbage", "raw-garbage",
        "zlib-trailing"])
def test_broken_compressed_body_is_400(es: httpx.Client, index_name: str, encoding: str,
                                       body: bytes) -> None:
    es.put(f"/{index_name}")
    response = es.post(f"/{index_name}/_search", content=body, headers={
        "content-type": "application/json", "content-encoding": encoding})
    assert response.status_code == 400, response.text[:500]
    assert response.json()["error"]["type"] == "parsing_exception"


def test_root_answers_while_a_large_compressed_body_is_decompressed(es: httpx.Client) -> None:
    """Decompression runs in the thread pool: the event loop keeps serving other requests."""
    bomb = gzip_bomb(2048 * MiB)  # refused at the 100 MB default, but only after inflating it
    outcome: dict[str, object] = {}

    def send() -> None:
        outcome["status"] = es.post("/_bulk", content=bomb, timeout=60, headers={
            "content-type": "application/x-ndjson", "content-encoding": "gzip"}).status_code

    sender = threading.Thread(target=send)
    sender.start()
    slowest = 0.0
    with httpx.Client(base_url=str(es.base_url), timeout=30) as probe:
        while sender.is_alive():
            began = time.monotonic()
            assert probe.get("/").status_code == 200
            slowest = max(slowest, time.monotonic() - began)
            time.sleep(0.02)
    sender.join()
    assert outcome["status"] == 413
    assert slowest < 1.0, f"GET / took {slowest:.2f}s while the body was decompressed"
