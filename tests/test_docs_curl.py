"""The curl examples of the README and the user guides, run in order against a fresh server
(one per document) as a reader would run them.

Every ```sh/```bash block with a ``curl`` or ``loghaven ingest`` command is run whole by bash,
with the document's
``127.0.0.1:9200``/``localhost:9200`` pointed at the test server, in a temporary folder, with
this Python's ``loghaven`` command first on the PATH and ``LOGHAVEN_URL`` set to the server (so
``loghaven ingest`` examples load into it). Each curl call must succeed,
answer below HTTP 400, and, unless it is a ``_cat`` text table or a HEAD, answer JSON that is
not an error (no non-null ``error``, no ``"errors": true``), or the SNS query API's XML that
is not an ``ErrorResponse``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import Server

ROOT = Path(__file__).resolve().parent.parent
#: The documents whose examples are run, each against a server of its own.
DOCUMENTS = ("README.md", "docs/ingest.md", "docs/alerting.md", "docs/streams.md",
             "docs/ui.md", "docs/tiers.md", "docs/operations.md", "docs/sql.md")
BLOCK = re.compile(r"^```(?:sh|bash|shell)[ \t]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
ADDRESS = re.compile(r"(?:https?://)?(?:127\.0\.0\.1|localhost):9200")

#: Replaces curl for the block: the same call, with each answer's status, body and arguments
#: kept for the checks, and the body still printed for pipes and readers.
RECORDING_CURL = r"""
curl() {
    CALLS=$((CALLS + 1))
    printf '%s\n' "$*" > "$OUT/$CALLS.args"
    command curl -sS -o "$OUT/$CALLS.body" -w '%{http_code}' "$@" > "$OUT/$CALLS.status"
    cat "$OUT/$CALLS.body"
}
CALLS=0
"""


def _blocks() -> list[tuple[str, int, str]]:
    found = []
    for name in DOCUMENTS:
        path = ROOT / name
        if not path.exists():
            continue
        text = path.read_text()
        found += [(name, text.count("\n", 0, m.start()) + 1, m.group(1))
                  for m in BLOCK.finditer(text)
                  if re.search(r"(^|[\s|;&(])(curl|loghaven ingest)\s", m.group(1))]
    return found


BLOCKS = _blocks()


@pytest.fixture(scope="module")
def doc_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Server]]:
    """A server per document, started at its first example: each document's examples start
    from an empty server, as for a reader."""
    servers: dict[str, Server] = {}

    class Lazy(dict[str, Server]):
        def __missing__(self, name: str) -> Server:
            folder = tmp_path_factory.mktemp(Path(name).stem)
            # as the pages say: snapshots' fs repositories live under path.repo
            server = self[name] = servers[name] = Server(
                folder / "data", env={"LOGHAVEN_PATH_REPO": str(folder / "repos")}).start()
            return server

    yield Lazy()
    for server in servers.values():
        server.stop()


def _check_answer(args: str, status: int, body: bytes) -> str | None:
    """What is wrong with one curl answer, or None."""
    if status == 0 or status >= 400:
        return f"HTTP {status}: {body[:500]!r}"
    head_only = re.search(r"(^|\s)(-I|--head|-X\s*HEAD)(\s|$)", args)
    cat_text = "/_cat/" in args and "format=json" not in args
    if head_only or cat_text:
        return None
    if body.lstrip().startswith(b"<"):  # the SNS query API answers XML
        return f"error answer: {body[:1000]!r}" if b"<ErrorResponse" in body else None
    try:
        answer = json.loads(body)
    except ValueError:
        try:  # NDJSON (a saved objects export): every line JSON, the last one the summary
            answer = [json.loads(line) for line in body.splitlines() if line.strip()][-1]
        except (ValueError, IndexError):
            return f"not JSON: {body[:500]!r}"
    # ``"error": null`` is a success (a monitor run's answer), as ES's clients read it
    if isinstance(answer, dict) and (answer.get("error") is not None
                                     or answer.get("errors") is True):
        return f"error answer: {body[:1000]!r}"
    return None


@pytest.mark.parametrize(("document", "line", "block"), BLOCKS,
                         ids=[f"{document}:{line}" for document, line, _ in BLOCKS])
def test_curl_example(doc_servers: dict[str, Server], document: str, line: int, block: str,
                      tmp_path: Path) -> None:
    server = doc_servers[document]
    script = ADDRESS.sub(server.url, block)
    work = tmp_path / "work"
    work.mkdir()
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    result = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", RECORDING_CURL + script],
                            env={**os.environ, "OUT": str(tmp_path), "PATH": path,
                                 "LOGHAVEN_URL": server.url,
                                 "XDG_STATE_HOME": str(tmp_path / "state")},
                            cwd=work, capture_output=True, timeout=120)
    where = f"{document} line {line}:\n{block}"
    assert result.returncode == 0, \
        f"{where}\nexited {result.returncode}: {result.stderr.decode(errors='replace')}"
    calls = sorted(tmp_path.glob("*.status"), key=lambda p: int(p.stem))
    assert calls or "loghaven ingest" in block, f"{where}\nran no curl command"
    for status_file in calls:
        number = status_file.stem
        args = (tmp_path / f"{number}.args").read_text().strip()
        problem = _check_answer(args, int(status_file.read_text() or 0),
                                (tmp_path / f"{number}.body").read_bytes())
        assert problem is None, f"{where}\ncurl {args}\n{problem}"
