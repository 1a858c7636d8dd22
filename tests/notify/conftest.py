"""Fixtures of the notification tests: loopback HTTP receivers that record what webhooks and
SNS-style deliveries post, aiosmtpd SMTP servers (plain, STARTTLS with AUTH, implicit TLS),
boto3's SNS client pointed at a test server, and a Loghaven server that trusts the test CA and
retries quickly."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import httpx
import orjson
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword

from conftest import Server, free_port


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


SMTP_USER = "mailer"
SMTP_PASSWORD = "Smtp-Secret-Passw0rd"


class Mailbox:
    """An aiosmtpd handler keeping each envelope."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Envelope, address: str,
                          options: list[str]) -> str:
        if address.startswith("refused@"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str,
                  auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == SMTP_USER.encode() \
        and auth_data.password == SMTP_PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


@dataclass
class SmtpServer:
    port: int
    mailbox: Mailbox


def _smtp(certs: Path | None = None, *, implicit_tls: bool = False) -> Iterator[SmtpServer]:
    mailbox = Mailbox()
    port = free_port()
    kwargs: dict[str, Any] = {}
    if certs is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certs / "node.crt", certs / "node.key")
        if implicit_tls:
            kwargs["ssl_context"] = context
        else:
            kwargs.update(tls_context=context, require_starttls=True,
                          authenticator=_authenticate, auth_required=True)
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    yield SmtpServer(port, mailbox)
    controller.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    yield from _smtp()


@pytest.fixture
def smtp_starttls(tls_certs: Path) -> Iterator[SmtpServer]:
    """STARTTLS required, then AUTH LOGIN/PLAIN with :data:`SMTP_USER`."""
    yield from _smtp(tls_certs)


@pytest.fixture
def smtp_ssl(tls_certs: Path) -> Iterator[SmtpServer]:
    yield from _smtp(tls_certs, implicit_tls=True)


NOTIFY_ENV = {"LOGHAVEN_NOTIFICATIONS_VENDOR_URL_CHECK": "false",
              "LOGHAVEN_NOTIFICATIONS_RETRY_BACKOFF": "50ms",
              "LOGHAVEN_NOTIFICATIONS_TIMEOUT": "3s"}


@pytest.fixture(scope="module")
def notify_server(tmp_path_factory: pytest.TempPathFactory,
                  tls_certs: Path) -> Iterator[Server]:
    """A server whose vendor URL checks are off (Slack, Chime and Teams go to loopback here),
    which trusts the test CA (for SMTP over TLS) and retries after 50 ms."""
    env = {**NOTIFY_ENV, "SSL_CERT_FILE": str(tls_certs / "ca.crt")}
    instance = Server(tmp_path_factory.mktemp("notify") / "data", env=env).start()
    yield instance
    instance.stop()


@pytest.fixture
def client(notify_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=notify_server.url, timeout=60) as http:
        yield http
