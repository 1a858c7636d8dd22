"""Fixtures of hosted topics' tests: loopback HTTP receivers that record what SNS-style
deliveries post, and boto3's SNS client pointed at a test server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import orjson
import pytest


class Receiver:
    """An HTTP endpoint on 127.0.0.1 that answers ``status`` and keeps every POST."""

    def __init__(self, port: int = 0, status: int = 200) -> None:
        received: list[dict[str, Any]] = []
        self.received = received
        self.status = status
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                received.append({"headers": {k.lower(): v for k, v in self.headers.items()},
                                 "body": orjson.loads(body)})
                self.send_response(owner.status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, seconds: float = 15) -> list[dict[str, Any]]:
        """The POSTs once ``count`` arrived (bounded wait; the assertion says what came)."""
        deadline = time.monotonic() + seconds
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.received) >= count, self.received
        return self.received

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers() -> Iterator[Callable[..., Receiver]]:
    made: list[Receiver] = []

    def make(port: int = 0, status: int = 200) -> Receiver:
        made.append(Receiver(port, status))
        return made[-1]
    yield make
    for receiver in made:
        receiver.close()


def sns_client(url: str, key: str = "k", secret: str = "s") -> Any:
    """boto3's SNS client, exactly as a user points it at Loghaven."""
    return boto3.client("sns", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret)
