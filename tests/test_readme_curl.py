"""The README's curl examples, run in order against a fresh server as a reader would run them.

Every ```sh/```bash block with a ``curl`` command is run whole by bash, with the README's
``127.0.0.1:9200``/``localhost:9200`` pointed at the test server. Each curl call must succeed,
answer below HTTP 400, and, unless it is a ``_cat`` text table or a HEAD, answer JSON that is
not an error (no ``error``, no ``"errors": true``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import Server

README = Path(__file__).resolve().parent.parent / "README.md"
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


def _blocks() -> list[tuple[int, str]]:
    if not README.exists():
        return []
    text = README.read_text()
    return [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in BLOCK.finditer(text)
            if re.search(r"(^|[\s|;&(])curl\s", m.group(1))]


BLOCKS = _blocks()


@pytest.fixture(scope="module")
def readme_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of these tests' own: the examples start from an empty one, as for a reader."""
    instance = Server(tmp_path_factory.mktemp("readme") / "data").start()
    yield instance
    instance.stop()


def _check_answer(args: str, status: int, body: bytes) -> str | None:
    """What is wrong with one curl answer, or None."""
    if status == 0 or status >= 400:
        return f"HTTP {status}: {body[:500]!r}"
    head_only = re.search(r"(^|\s)(-I|--head|-X\s*HEAD)(\s|$)", args)
    cat_text = "/_cat/" in args and "format=json" not in args
    if head_only or cat_text:
        return None
    try:
        answer = json.loads(body)
    except ValueError:
        return f"not JSON: {body[:500]!r}"
    if isinstance(answer, dict) and ("error" in answer or answer.get("errors") is True):
        return f"error answer: {body[:1000]!r}"
    return None


@pytest.mark.parametrize(("line", "block"), BLOCKS,
                         ids=[f"README.md:{line}" for line, _ in BLOCKS])
def test_readme_curl_example(readme_server: Server, line: int, block: str,
                             tmp_path: Path) -> None:
    script = ADDRESS.sub(readme_server.url, block)
    result = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", RECORDING_CURL + script],
                            env={**os.environ, "OUT": str(tmp_path)},
                            capture_output=True, timeout=120)
    where = f"README.md line {line}:\n{block}"
    assert result.returncode == 0, \
        f"{where}\nexited {result.returncode}: {result.stderr.decode(errors='replace')}"
    calls = sorted(tmp_path.glob("*.status"), key=lambda p: int(p.stem))
    assert calls, f"{where}\nran no curl command"
    for status_file in calls:
        number = status_file.stem
        args = (tmp_path / f"{number}.args").read_text().strip()
        problem = _check_answer(args, int(status_file.read_text() or 0),
                                (tmp_path / f"{number}.body").read_bytes())
        assert problem is None, f"{where}\ncurl {args}\n{problem}"
