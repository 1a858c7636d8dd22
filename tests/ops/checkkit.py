"""What the ``loghaven check`` tests share: running the command as a user does, and a stand-in
for the recommended-alarms API in front of a real server.

The alarms API (``_plugins/_loghaven/alarms``) is served by :func:`alarms_proxy` in the shape
docs/operations.md gives it; every other request goes through to the real Loghaven server, so
the overview and the warnings always come from a real node.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import orjson

from conftest import free_port

ALARMS = "/_plugins/_loghaven/alarms"

#: The recommended alarms as docs/operations.md ("Recommended alarms") lists them: (metric,
#: severity, laddered, statistic, period, evaluation periods, comparison, threshold); a
#: laddered alarm's name carries its severity.
DEFINITIONS = [
    ("ClusterStatus.red", "critical", False, "Maximum", 60, 1, "GreaterThanOrEqualToThreshold",
     1.0),
    ("ClusterStatus.yellow", "warn", False, "Maximum", 60, 5, "GreaterThanOrEqualToThreshold",
     1.0),
    ("FreeStorageSpace", "warn", True, "Minimum", 60, 1, "LessThanOrEqualToThreshold", 2560.0),
    ("FreeStorageSpace", "critical", True, "Minimum", 60, 1, "LessThanOrEqualToThreshold",
     2048.0),
    ("ClusterIndexWritesBlocked", "critical", False, "Maximum", 300, 1,
     "GreaterThanOrEqualToThreshold", 1.0),
    ("AutomatedSnapshotFailure", "critical", False, "Maximum", 60, 1,
     "GreaterThanOrEqualToThreshold", 1.0),
    ("JVMMemoryPressure", "warn", True, "Maximum", 60, 3, "GreaterThanOrEqualToThreshold", 80.0),
    ("JVMMemoryPressure", "critical", True, "Maximum", 60, 3, "GreaterThanOrEqualToThreshold",
     95.0),
    ("CPUUtilization", "warn", True, "Average", 300, 1, "GreaterThanOrEqualToThreshold", 60.0),
    ("CPUUtilization", "critical", True, "Maximum", 900, 3, "GreaterThanOrEqualToThreshold",
     80.0),
]


def recommended(node: str) -> list[dict[str, Any]]:
    """The alarms as ``GET _plugins/_loghaven/alarms`` lists them, all matching."""
    return [{"name": f"Loghaven-{node}-{metric}{f'-{severity}' if laddered else ''}-Alarm",
             "metric": metric, "severity": severity, "statistic": statistic,
             "period_seconds": period, "evaluation_periods": periods, "comparison": comparison,
             "threshold": threshold, "description": f"{metric} {severity}",
             "monitor_id": f"m-{index}", "status": "ok", "differences": [], "state": "OK"}
            for index, (metric, severity, laddered, statistic, period, periods, comparison,
                        threshold) in enumerate(DEFINITIONS)]


@dataclass
class AlarmsStub:
    """The alarms the stand-in lists, and the ``_enable`` bodies it received."""

    url: str
    node: str
    #: None: answer as a server without the alarms API does (400, no handler).
    alarms: list[dict[str, Any]] | None
    enabled: bool = True
    enable_bodies: list[bytes] = field(default_factory=list)

    def set_status(self, metric: str, severity: str, status: str,
                   differences: list[dict[str, Any]] | None = None) -> None:
        alarm = next(a for a in self.alarms or []
                     if a["metric"] == metric and a["severity"] == severity)
        alarm.update(status=status, differences=differences or [],
                     monitor_id=None if status == "missing" else alarm["monitor_id"],
                     state=None if status == "missing" else alarm["state"])
        for difference in differences or []:
            alarm[difference["field"]] = difference["actual"]

    def enable(self) -> dict[str, list[str]]:
        """``POST .../_enable``: create the missing, update the mismatched."""
        out: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": []}
        verbs = {"missing": "created", "mismatch": "updated", "ok": "unchanged"}
        assert self.alarms is not None
        for alarm, recommended_alarm in zip(self.alarms, recommended(self.node), strict=True):
            out[verbs[alarm["status"]]].append(alarm["name"])
            alarm.update(recommended_alarm)
        self.enabled = True
        return out


@contextmanager
def alarms_proxy(upstream: str, node: str = "loghaven-1") -> Iterator[AlarmsStub]:
    """A loopback HTTP server answering the alarms API itself and passing the rest to
    ``upstream`` (headers such as Authorization included)."""
    port = free_port()
    stub = AlarmsStub(f"http://127.0.0.1:{port}", node, recommended(node))
    forward = httpx.Client(base_url=upstream, timeout=30)

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            path = self.path.split("?", 1)[0]
            if path.startswith(ALARMS) and stub.alarms is None:
                self._send(400, orjson.dumps({"error": {
                    "type": "illegal_argument_exception",
                    "reason": f"no handler found for uri [{path}] and method [{self.command}]"},
                    "status": 400}))
            elif path == ALARMS and self.command == "GET":
                self._send(200, orjson.dumps({"alarms": stub.alarms, "enabled": stub.enabled}))
            elif path == f"{ALARMS}/_enable" and self.command == "POST":
                stub.enable_bodies.append(body)
                self._send(200, orjson.dumps(stub.enable()))
            else:
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() in ("authorization", "content-type", "accept")}
                answer = forward.request(self.command, self.path, content=body,
                                         headers=headers)
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

    httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        httpd.shutdown()
        httpd.server_close()
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
