"""The benchmark's HTTP client and the Loghaven server it drives in a subprocess.

Clients are plain ``http.client`` connections with keep-alive, one per thread:
the lightest client the standard library offers, so that on a 2-core machine
as little CPU as possible goes to the load generator instead of the server.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from loghaven.bench.proc import RssSampler, dir_bytes, tree_cpu_seconds

NDJSON = "application/x-ndjson"
#: The ``admin`` password a first secure start prints (cli.py's box).
_ADMIN_PASSWORD = re.compile(r"The first start created the user `admin`.*?\n\n   (\S+)\n", re.S)


class BenchError(RuntimeError):
    """The run cannot go on (the server did not start, ingest failed outright)."""


# --------------------------------------------------------------------------- HTTP client


@dataclass
class Response:
    """Status, body and client-side latency of one request."""

    status: int
    body: bytes
    seconds: float

    def json(self) -> Any:
        return orjson.loads(self.body) if self.body else None

    def reason(self) -> str:
        """The ES error reason of a failed request, or the start of its body."""
        try:
            err = self.json()["error"]
            return f"{err.get('type')}: {err.get('reason')}" if isinstance(err, dict) else str(err)
        except Exception:
            return self.body[:200].decode("utf-8", "replace")


class HttpClient:
    """One keep-alive connection; reconnects once if the server closed it while idle."""

    def __init__(self, host: str, port: int, timeout: float = 600.0,
                 authorization: str | None = None) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._conn: http.client.HTTPConnection | None = None
        #: The ``Authorization`` header every request sends (a secure server).
        self.authorization = authorization

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._conn

    def request(
        self,
        method: str,
        path: str,
        body: bytes | dict[str, Any] | None = None,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> Response:
        """One request; ``headers`` add to (or replace) the content type and authorization."""
        data = orjson.dumps(body) if isinstance(body, dict) else body
        sent = {"Content-Type": content_type} if data is not None else {}
        if self.authorization:
            sent["Authorization"] = self.authorization
        sent.update(headers or {})
        for attempt in (0, 1):
            conn = self._connection()
            start = time.perf_counter()
            try:
                conn.request(method, path, body=data, headers=sent)
                resp = conn.getresponse()
                payload = resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt:
                    raise
                continue
            except BaseException:
                self.close()
                raise
            elapsed = time.perf_counter() - start
            if resp.will_close:
                self.close()
            return Response(resp.status, payload, elapsed)
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    """A loopback port nobody listens on right now (the server binds it next)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A ``loghaven serve`` subprocess on a free loopback port, or an existing URL; with
    ``secure``, security on and every request authenticated as ``admin`` (HTTP Basic)."""

    def __init__(self, data_dir: Path, log_path: Path, url: str | None = None,
                 secure: bool = False) -> None:
        self.data_dir = data_dir
        self.log_path = log_path
        self.secure = secure
        self.authorization: str | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        if url:
            hostport = url.split("://", 1)[-1].rstrip("/")
            host, _, port = hostport.partition(":")
            self.host, self.port = host, int(port or 9200)
        else:
            self.host, self.port = "127.0.0.1", free_port()
        self.external = bool(url)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def client(self) -> HttpClient:
        return HttpClient(self.host, self.port, authorization=self.authorization)

    def start(self, timeout: float = 60.0) -> None:
        if not self.external:
            cmd = [
                sys.executable,
                "-m",
                "loghaven",
                "serve",
                "--host",
                self.host,
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
                *(["--secure"] if self.secure else []),
            ]
            self.data_dir.mkdir(parents=True, exist_ok=True)
            log = open(self.log_path, "wb")  # noqa: SIM115 - the child keeps writing to it
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
            log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise BenchError(f"server exited with {self.proc.returncode}: {self.log_tail()}")
            if self.secure and self.authorization is None:
                found = _ADMIN_PASSWORD.search(self.log_path.read_text(errors="replace"))
                if found is None:
                    time.sleep(0.1)
                    continue
                token = base64.b64encode(f"admin:{found.group(1)}".encode()).decode()
                self.authorization = f"Basic {token}"
            client = self.client()
            try:
                if client.request("GET", "/").status == 200:
                    return
            except OSError:
                pass
            finally:
                client.close()
            time.sleep(0.1)
        self.stop()
        raise BenchError(f"server did not answer GET / within {timeout:.0f}s: {self.log_tail()}")

    def check_alive(self) -> None:
        """Raise if the server process has exited (crashed) under the benchmark."""
        if self.proc is not None and self.proc.poll() is not None:
            raise BenchError(f"server exited with {self.proc.returncode}: {self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 15 s; only the process this object started."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    def rss(self) -> contextlib.AbstractContextManager[RssSampler | None]:
        return RssSampler(self.proc.pid) if self.proc else contextlib.nullcontext()

    def cpu(self) -> float | None:
        return tree_cpu_seconds(self.proc.pid) if self.proc else None

    def disk_bytes(self) -> int | None:
        return None if self.external else dir_bytes(self.data_dir)
