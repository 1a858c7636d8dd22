"""Log shippers users already run, configured as their docs show, shipping into daily indices.

rsyslog (omelasticsearch) and syslog-ng (elasticsearch-http()) are unpacked from Debian's
packages into .test-tools/shippers by scripts/setup-test-env.sh (as installed packages the two
conflict). Each test starts the shipper on loopback with a temporary config, sends it RFC 5424
lines over TCP, waits for Loghaven to have them, and stops it by PID.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import Server, free_port

ROOT = Path(__file__).resolve().parent.parent / ".test-tools" / "shippers"
RSYSLOGD = ROOT / "usr" / "sbin" / "rsyslogd"
SYSLOG_NG = ROOT / "usr" / "sbin" / "syslog-ng"

#: (timestamp, host, program, message): noon UTC, so that the day is the same in any zone.
LINES = [(f"2024-03-{day}T12:00:{second:02d}Z", f"web{second % 2}", "nginx",
          f"GET /page/{day}/{second} HTTP/1.1 200")
         for day in (15, 16) for second in range(6)]


@pytest.fixture(scope="module", autouse=True)
def shippers_unpacked() -> None:
    if not (RSYSLOGD.exists() and SYSLOG_NG.exists()):
        pytest.fail(f"{ROOT} is missing the shippers: run scripts/setup-test-env.sh")


class Shipper:
    """A shipper process of the test's own, stopped by its PID."""

    def __init__(self, command: list[str], log: Path, env: dict[str, str] | None = None) -> None:
        self.log = log
        with open(log, "wb") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                            env={**os.environ, **(env or {})})

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def _send(port: int, shipper: Shipper) -> None:
    """Connect once the shipper listens, then send the RFC 5424 lines, one per line."""
    deadline = time.monotonic() + 20
    while True:
        if shipper.process.poll() is not None:
            pytest.fail(f"shipper exited:\n{shipper.output()}")
        try:
            connection = socket.create_connection(("127.0.0.1", port), timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"shipper never listened on {port}:\n{shipper.output()}")
            time.sleep(0.1)
    with connection:
        for stamp, host, program, message in LINES:
            connection.sendall(f"<134>1 {stamp} {host} {program} 4242 - - {message}\n".encode())


def _wait_for_daily_indices(es: httpx.Client, prefix: str, shipper: Shipper) -> None:
    """Both days' indices hold their six documents (the shipper batches, so poll)."""
    wanted = {f"{prefix}2024.03.15": "6", f"{prefix}2024.03.16": "6"}
    deadline = time.monotonic() + 30
    counts: dict[str, str] = {}
    while time.monotonic() < deadline:
        es.post(f"/{prefix}*/_refresh")
        rows = es.get(f"/_cat/indices/{prefix}*?format=json&h=index,docs.count").json()
        counts = {r["index"]: r["docs.count"] for r in rows}
        if counts == wanted:
            return
        time.sleep(0.25)
    pytest.fail(f"expected {wanted}, Loghaven has {counts}; shipper said:\n{shipper.output()}")


def _check_documents(es: httpx.Client, index: str, fields: set[str]) -> None:
    mapped = set(es.get(f"/{index}/_mapping").json()[index]["mappings"]["properties"])
    assert fields <= mapped, f"{index} maps {sorted(mapped)}"


RSYSLOG_CONF = """
global(workDirectory="{work}")
module(load="imtcp")
module(load="omelasticsearch")

template(name="syslog-json" type="list") {{
  constant(value="{{")
  constant(value="\\"@timestamp\\":\\"")  property(name="timereported" dateFormat="rfc3339")
  constant(value="\\",\\"host\\":\\"")     property(name="hostname")
  constant(value="\\",\\"program\\":\\"")  property(name="programname" format="json")
  constant(value="\\",\\"severity\\":\\"") property(name="syslogseverity-text")
  constant(value="\\",\\"facility\\":\\"") property(name="syslogfacility-text")
  constant(value="\\",\\"message\\":\\"")  property(name="msg" format="json")
  constant(value="\\"}}")
}}
template(name="daily-index" type="list") {{
  constant(value="rsyslog-")
  property(name="timereported" dateFormat="rfc3339" position.from="1" position.to="4")
  constant(value=".")
  property(name="timereported" dateFormat="rfc3339" position.from="6" position.to="7")
  constant(value=".")
  property(name="timereported" dateFormat="rfc3339" position.from="9" position.to="10")
}}

ruleset(name="to-loghaven") {{
  action(type="omelasticsearch" server="127.0.0.1" serverport="{es_port}"
         template="syslog-json" searchIndex="daily-index" dynSearchIndex="on"
         bulkmode="on" errorFile="{work}/omelasticsearch-errors.json")
}}
input(type="imtcp" address="127.0.0.1" port="{tcp_port}" ruleset="to-loghaven")
"""


@pytest.fixture
def rsyslog(server: Server, tmp_path: Path) -> Iterator[tuple[int, Shipper]]:
    tcp_port = free_port()
    conf = tmp_path / "rsyslog.conf"
    conf.write_text(RSYSLOG_CONF.format(work=tmp_path, es_port=server.port, tcp_port=tcp_port))
    shipper = Shipper([str(RSYSLOGD), "-n", "-f", str(conf), "-i", str(tmp_path / "rsyslog.pid"),
                       "-M", str(ROOT / "usr" / "lib" / "x86_64-linux-gnu" / "rsyslog")],
                      tmp_path / "rsyslog.log")
    yield tcp_port, shipper
    shipper.stop()


def test_rsyslog_omelasticsearch_ships_into_daily_indices(
        es: httpx.Client, rsyslog: tuple[int, Shipper]) -> None:
    tcp_port, shipper = rsyslog
    _send(tcp_port, shipper)
    _wait_for_daily_indices(es, "rsyslog-", shipper)
    _check_documents(es, "rsyslog-2024.03.15",
                     {"@timestamp", "host", "program", "severity", "message"})


SYSLOG_NG_CONF = """@version: 3.38
@define include-path "{root}/etc/syslog-ng:{root}/usr/share/syslog-ng/include"
@include "scl.conf"

options {{ stats_freq(0); }};
source s_network {{
  network(transport("tcp") ip("127.0.0.1") port({tcp_port}) flags(syslog-protocol));
}};
destination d_loghaven {{
  elasticsearch-http(
    url("http://127.0.0.1:{es_port}/_bulk")
    index("syslog-ng-${{YEAR}}.${{MONTH}}.${{DAY}}")
    type("")
  );
}};
log {{ source(s_network); destination(d_loghaven); }};
"""


@pytest.fixture
def syslog_ng(server: Server, tmp_path: Path) -> Iterator[tuple[int, Shipper]]:
    tcp_port = free_port()
    conf = tmp_path / "syslog-ng.conf"
    conf.write_text(SYSLOG_NG_CONF.format(root=ROOT, es_port=server.port, tcp_port=tcp_port))
    shipper = Shipper([str(SYSLOG_NG), "-F", "-e", "--no-caps", "-f", str(conf),
                       f"--module-path={ROOT / 'usr' / 'lib' / 'syslog-ng' / '3.38'}",
                       f"--persist-file={tmp_path / 'syslog-ng.persist'}",
                       f"--pidfile={tmp_path / 'syslog-ng.pid'}",
                       f"--control={tmp_path / 'syslog-ng.ctl'}"],
                      tmp_path / "syslog-ng.log",
                      env={"LD_LIBRARY_PATH": str(ROOT / "usr" / "lib" / "syslog-ng")})
    yield tcp_port, shipper
    shipper.stop()


def test_syslog_ng_elasticsearch_http_ships_into_daily_indices(
        es: httpx.Client, syslog_ng: tuple[int, Shipper]) -> None:
    tcp_port, shipper = syslog_ng
    _send(tcp_port, shipper)
    _wait_for_daily_indices(es, "syslog-ng-", shipper)
    _check_documents(es, "syslog-ng-2024.03.16", {"@timestamp", "HOST", "PROGRAM", "MESSAGE"})
