"""Running ``loghaven ingest`` as a user does (a subprocess) and reading the result back
through the server's HTTP API."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson

#: Where the parser tests keep their real-looking samples.
SAMPLES = Path(__file__).parent.parent / "ingest" / "parsers" / "samples"


def ingest(*args: str, state: Path, env: dict[str, str] | None = None,
           stdin: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``loghaven ingest ARGS`` run to its end, with its checkpoints under ``state``."""
    argv = [sys.executable, "-m", "loghaven", "ingest", *args]
    done = subprocess.run(argv, input=stdin, capture_output=True, env=_environ(state, env),
                          timeout=timeout)
    return subprocess.CompletedProcess(argv, done.returncode, done.stdout.decode(),
                                       done.stderr.decode())


@contextmanager
def running(*args: str, state: Path, env: dict[str, str] | None = None,
            stderr: int = subprocess.PIPE) -> Iterator[subprocess.Popen[bytes]]:
    """``loghaven ingest ARGS`` in the background (killed if the test leaves it running)."""
    process = subprocess.Popen([sys.executable, "-m", "loghaven", "ingest", *args],
                               stdout=subprocess.PIPE, stderr=stderr, env=_environ(state, env))
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def _environ(state: Path, env: dict[str, str] | None) -> dict[str, str]:
    environ = {**os.environ, "XDG_STATE_HOME": str(state), **(env or {})}
    for name in ("LOGHAVEN_URL", "LOGHAVEN_USER", "LOGHAVEN_PASSWORD", "LOGHAVEN_API_KEY"):
        if env is None or name not in env:
            environ.pop(name, None)
    return environ


def current_count(es: httpx.Client, index: str) -> int:
    """The index's documents after a refresh, 0 while it does not exist."""
    es.post(f"/{index}/_refresh")
    response = es.get(f"/{index}/_count")
    return response.json()["count"] if response.status_code == 200 else 0


def write_ndjson(path: Path, docs: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(doc) + b"\n" for doc in docs))
    return path


def count(es: httpx.Client, index: str) -> int:
    es.post(f"/{index}/_refresh")
    response = es.get(f"/{index}/_count")
    assert response.status_code == 200, response.text
    return response.json()["count"]


def docs(es: httpx.Client, index: str, sort: str = "n") -> list[dict[str, Any]]:
    es.post(f"/{index}/_refresh")
    response = es.post(f"/{index}/_search", json={"size": 1000, "sort": [{sort: "asc"}]})
    assert response.status_code == 200, response.text
    return [hit["_source"] for hit in response.json()["hits"]["hits"]]


def summary(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """The summary's ``name: value`` lines."""
    return dict(line.split(": ", 1) for line in result.stdout.splitlines()
                if ": " in line and not line.startswith(" "))
