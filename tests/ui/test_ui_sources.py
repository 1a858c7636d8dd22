"""What the UI's own sources never do, checked over every file the server serves from
ui/static (the vendored libraries aside): parse data as HTML, run strings as code, or carry
inline scripts, styles or event handlers the Content-Security-Policy would refuse."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "src" / "loghaven" / "ui" / "static"
SCRIPTS = sorted(p for p in STATIC.rglob("*.js") if "vendor" not in p.parts)
PAGES = sorted(STATIC.rglob("*.html"))

#: Sinks that turn a string into markup or code.
SINKS = re.compile(r"\.(innerHTML|outerHTML)\s*[+]?=|insertAdjacentHTML|document\.write|"
                   r"\bnew Function\b|\beval\(|setTimeout\(\s*[\"'`]|setInterval\(\s*[\"'`]")
#: Markup the CSP (default-src 'self', no 'unsafe-inline') refuses.
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\bstyle=|\son[a-z]+=", re.IGNORECASE)


def test_there_are_sources_to_check() -> None:
    assert len(SCRIPTS) > 50 and {p.name for p in PAGES} == {"index.html", "login.html"}


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: str(p.relative_to(STATIC)))
def test_no_script_parses_strings_as_markup_or_code(path: Path) -> None:
    found = [f"{n}: {line.strip()}" for n, line in enumerate(path.read_text().splitlines(), 1)
             if SINKS.search(line)]
    assert not found, found


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_no_page_has_inline_scripts_styles_or_handlers(path: Path) -> None:
    found = INLINE.findall(path.read_text())
    assert not found, found
