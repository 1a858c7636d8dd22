"""``loghaven sql``: statements split as opensearch-sql-cli splits them, tables from a jdbc
answer, and the command run as a user runs it against a real server (``-e`` in each format,
``--ppl``, cursor paging, errors, the interactive loop through a pipe and a terminal)."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import select
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from tests.conftest import Server

from loghaven.sql_cli import render_table, split_statements

COUNTRIES = ("US", "DE", "FR")
#: Documents in the test index: several pages of the fetch size the tests use.
DOCS = 450


def test_statements_end_at_semicolons_outside_quotes() -> None:
    assert split_statements("SELECT 1") == ([], "SELECT 1")
    assert split_statements("SELECT a\nFROM t;\n") == (["SELECT a\nFROM t"], "\n")
    assert split_statements("SELECT 1; SELECT 2;SELECT") == (["SELECT 1", "SELECT 2"],
                                                             "SELECT")
    text = "SELECT 'a;b', \"c;d\", `e;f` FROM t WHERE x = 'it''s;' AND y = 'q\\';';"
    assert split_statements(text) == ([text[:-1]], "")
    # an open quote keeps the statement going over the next lines
    assert split_statements("SELECT 'a;\n") == ([], "SELECT 'a;\n")
    assert split_statements(";;  ;") == ([], "")


def test_table_shows_aliases_and_whole_values() -> None:
    schema = [{"name": "httpRequest.clientIp", "alias": "ip", "type": "keyword"},
              {"name": "count(*)", "type": "long"},
              {"name": "tags", "type": "object"}]
    rows = [["203.0.113.250", 12, {"k": [1, 2]}], ["198.51.100.7", 3, None]]
    out = io.StringIO()
    render_table(schema, rows, out)
    text = out.getvalue()
    header = next(line for line in text.splitlines() if "ip" in line)
    assert [title.strip() for title in header.split("┃")[1:4]] == ["ip", "count(*)", "tags"]
    assert "203.0.113.250" in text and '{"k":[1,2]}' in text and "null" in text
    assert "…" not in text  # not a terminal: as wide as the values, nothing cut
    assert text.rstrip().endswith("2 rows")


# --- against a server ------------------------------------------------------------------


@pytest.fixture(scope="module")
def waf(server: Server) -> str:
    """A small WAF-like index: ``n`` numbers the documents, countries cycle."""
    index = "cli-waf"
    lines = []
    for n in range(DOCS):
        lines.append(orjson.dumps({"index": {"_index": index, "_id": str(n)}}))
        lines.append(orjson.dumps({
            "n": n, "action": "BLOCK" if n % 5 == 0 else "ALLOW",
            "timestamp": 1_700_000_000_000 + n * 1000,
            "httpRequest": {"clientIp": f"10.0.0.{n % 7}", "country": COUNTRIES[n % 3]}}))
    response = httpx.post(f"{server.url}/_bulk?refresh=true", content=b"\n".join(lines) + b"\n",
                          headers={"content-type": "application/x-ndjson"}, timeout=60)
    assert response.status_code == 200 and not response.json()["errors"], response.text[:500]
    return index


def sql(server: Server, *args: str, stdin: str | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``loghaven sql --url SERVER ARGS`` as a user runs it (no LOGHAVEN_* of this process)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LOGHAVEN_")}
    return subprocess.run([sys.executable, "-m", "loghaven", "sql", "--url", server.url, *args],
                          capture_output=True, text=True, input=stdin, timeout=120,
                          env={**environ, **(env or {})},
                          stdin=None if stdin is not None else subprocess.DEVNULL)


def expected_hits() -> dict[str, int]:
    counts: dict[str, int] = {}
    for n in range(DOCS):
        counts[COUNTRIES[n % 3]] = counts.get(COUNTRIES[n % 3], 0) + 1
    return counts


def test_execute_prints_a_table(server: Server, waf: str) -> None:
    done = sql(server, "-e", f"SELECT httpRequest.country AS country, COUNT(*) AS hits "
                             f"FROM {waf} WHERE action = 'BLOCK' GROUP BY httpRequest.country")
    assert done.returncode == 0, done.stderr
    rows = {}
    for line in done.stdout.splitlines():
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if len(cells) == 2 and cells[0] in COUNTRIES:
            rows[cells[0]] = int(cells[1])
    blocked = [n for n in range(DOCS) if n % 5 == 0]
    assert rows == {c: sum(1 for n in blocked if COUNTRIES[n % 3] == c) for c in COUNTRIES}
    assert "country" in done.stdout and "hits" in done.stdout
    assert done.stdout.rstrip().endswith("3 rows")


def test_execute_json_and_csv(server: Server, waf: str) -> None:
    query = f"SELECT n, httpRequest.clientIp AS ip FROM {waf} WHERE n < 4"
    done = sql(server, "--format", "json", "-e", query)
    assert done.returncode == 0, done.stderr
    answer = orjson.loads(done.stdout)
    assert [c.get("alias") or c["name"] for c in answer["schema"]] == ["n", "ip"]
    assert sorted(answer["datarows"]) == [[n, f"10.0.0.{n % 7}"] for n in range(4)]
    assert answer["total"] == answer["size"] == 4

    done = sql(server, "--format", "csv", "-e", query)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0] == "n,ip"
    assert sorted(lines[1:]) == [f"{n},10.0.0.{n % 7}" for n in range(4)]


def test_paging_prints_every_row_once(server: Server, waf: str) -> None:
    """450 rows in pages of 100: the cursor is followed to the end."""
    done = sql(server, "--format", "json", "--fetch-size", "100", "-e", f"SELECT n FROM {waf}")
    assert done.returncode == 0, done.stderr
    answer = orjson.loads(done.stdout)
    assert sorted(row[0] for row in answer["datarows"]) == list(range(DOCS))
    assert answer["size"] == DOCS

    done = sql(server, "--fetch-size", "100", "-e", f"SELECT n, action FROM {waf}")
    assert done.returncode == 0, done.stderr
    numbers = [int(line.split("│")[1]) for line in done.stdout.splitlines()
               if line.startswith("│") and line.split("│")[1].strip().isdigit()]
    assert sorted(numbers) == list(range(DOCS))
    assert done.stdout.rstrip().endswith(f"{DOCS} rows")


def test_ppl(server: Server, waf: str) -> None:
    done = sql(server, "--ppl", "--format", "json", "-e",
               f"source={waf} | stats count() as hits by httpRequest.country")
    assert done.returncode == 0, done.stderr
    answer = orjson.loads(done.stdout)
    names = [c.get("alias") or c["name"] for c in answer["schema"]]
    hits = {row[names.index("httpRequest.country")]: row[names.index("hits")]
            for row in answer["datarows"]}
    assert hits == expected_hits()


def test_errors_exit_non_zero_with_the_details(server: Server, waf: str) -> None:
    done = sql(server, "-e", "SELECT * FROM no_such_index_here")
    assert done.returncode == 1
    assert "IndexNotFoundException" in done.stderr and "no_such_index_here" in done.stderr
    assert done.stdout == ""

    # statements run in order up to the one that fails
    done = sql(server, "-e", f"SELECT n FROM {waf} WHERE n = 1; SELECT FROM WHERE; SELECT 1")
    assert done.returncode == 1 and "Invalid SQL query" in done.stderr, done.stderr
    assert done.stdout.count("1 row\n") == 1

    unreachable = Server(Path("/nonexistent"))  # a free port nobody listens on
    done = subprocess.run([sys.executable, "-m", "loghaven", "sql", "--url", unreachable.url,
                           "-e", "SELECT 1"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "cannot reach the server" in done.stderr
    assert "--url" in done.stderr


def test_loop_reads_statements_from_a_pipe(server: Server, waf: str, tmp_path: Path) -> None:
    history = tmp_path / "history"
    script = (f"SELECT COUNT(*) AS c\nFROM {waf}\n"
              f"WHERE n < 10;\n"
              f"SELECT n FROM {waf} WHERE n = 3; SELECT n AS m FROM {waf} WHERE n = 4;\n"
              f"exit\nSELECT 'not run';\n")
    done = sql(server, "--history", str(history), stdin=script)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.count("1 row\n") == 3, out
    assert any(line.split("│")[1:2] == [" 10 "] for line in out.splitlines())  # the count
    assert "not run" not in out
    saved = history.read_text()
    assert "WHERE n < 10;" in saved and f"SELECT n AS m FROM {waf} WHERE n = 4;" in saved

    # a failing statement in a script: the others still run, the exit code says it
    done = sql(server, "--history", str(history),
               stdin=f"SELECT * FROM nope_index;\nSELECT n FROM {waf} WHERE n = 5")
    assert done.returncode == 1 and "IndexNotFoundException" in done.stderr
    assert "1 row" in done.stdout  # the last statement ran at the end of input


@pytest.fixture
def terminal() -> Iterator[tuple[int, int]]:
    master, slave = pty.openpty()
    yield master, slave
    os.close(master)


def read_until(fd: int, text: str, seconds: float = 60) -> str:
    seen = b""
    deadline = time.monotonic() + seconds
    while text.encode() not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"waited for {text!r}, saw {seen.decode(errors='replace')!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            seen += chunk
    return seen.decode(errors="replace")


def test_loop_on_a_terminal(server: Server, waf: str, tmp_path: Path,
                            terminal: tuple[int, int]) -> None:
    """Prompts, a continuation line, Ctrl-C dropping the statement typed, Ctrl-D leaving."""
    master, slave = terminal
    history = tmp_path / "history"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LOGHAVEN_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "loghaven", "sql", "--url", server.url, "--history",
         str(history)], stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        env={**environ, "TERM": "dumb", "COLUMNS": "120"})
    os.close(slave)
    try:
        read_until(master, "sql> ")
        os.write(master, f"SELECT n FROM {waf}\n".encode())
        read_until(master, "-> ")
        os.write(master, b"\x03")  # Ctrl-C: the statement is dropped
        read_until(master, "sql> ")
        os.write(master, f"SELECT COUNT(*) AS c FROM {waf};\n".encode())
        screen = read_until(master, "1 row")
        assert str(DOCS) in screen
        if "sql> " not in screen.partition("1 row")[2]:  # the prompt may come in that read
            read_until(master, "sql> ")
        os.write(master, b"\x04")  # Ctrl-D
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    saved = history.read_text()
    assert f"SELECT COUNT(*) AS c FROM {waf};" in saved
    assert f"SELECT n FROM {waf}\n" not in saved and f"SELECT n FROM {waf};" not in saved
