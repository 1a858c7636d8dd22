"""What the ``loghaven check`` tests share: running the command as a user does, and a real
server made to look older than the recommended alarms (:func:`without_alarms_api`)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx
import orjson
from tests.streams.streamkit import http_server

ALARMS = "/_plugins/_loghaven/alarms"


@contextmanager
def without_alarms_api(upstream: str) -> Iterator[str]:
    """The URL of a loopback HTTP server in front of ``upstream`` that answers the alarms
    API as a server older than it does (400, no handler) and passes the rest through
    (headers such as Authorization included)."""
    forward = httpx.Client(base_url=upstream, timeout=30)

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            path = self.path.split("?", 1)[0]
            if path.startswith(ALARMS):
                self._send(400, orjson.dumps({"error": {
                    "type": "illegal_argument_exception",
                    "reason": f"no handler found for uri [{path}] and method [{self.command}]"},
                    "status": 400}))
                return
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() in ("authorization", "content-type", "accept")}
            answer = forward.request(self.command, self.path, content=body, headers=headers)
            self._send(answer.status_code, answer.content,
                       answer.headers.get("content-type", "application/json"))

        def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, *args: Any) -> None:
            pass

    try:
        with http_server(Handler) as url:
            yield url
    finally:
        forward.close()


def check(*args: str, env: dict[str, str] | None = None,
          timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``loghaven check ARGS`` run as a user runs it (no LOGHAVEN_* from this process)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LOGHAVEN_")}
    argv = [sys.executable, "-m", "loghaven", "check", *args]
    done = subprocess.run(argv, capture_output=True, env={**environ, **(env or {})},
                          timeout=timeout, stdin=subprocess.DEVNULL)
    return subprocess.CompletedProcess(argv, done.returncode, done.stdout.decode(),
                                       done.stderr.decode())


def check_json(*args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """The exit code and the JSON document of ``loghaven check --format json ARGS``."""
    done = check(*args, "--format", "json", env=env)
    assert done.stdout, done.stderr
    return done.returncode, orjson.loads(done.stdout)


def warning_codes(report: dict[str, Any]) -> set[str]:
    return {warning["code"] for warning in report["warnings"]}
