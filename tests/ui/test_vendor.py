"""The UI's vendored third-party files are the pinned ones scripts/vendor-ui.sh copied, each
with its licence, and the server serves them to the UI."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx

VENDOR = Path(__file__).resolve().parents[2] / "src" / "loghaven" / "ui" / "static" / "vendor"


def sums() -> dict[str, str]:
    lines = (VENDOR / "SHA256SUMS").read_text().splitlines()
    return {name.removeprefix("./"): digest for digest, name in (line.split() for line in lines)}


def test_every_vendored_file_matches_its_checksum_and_none_is_unlisted() -> None:
    listed = sums()
    present = {str(p.relative_to(VENDOR)) for p in VENDOR.rglob("*") if p.is_file()}
    assert present - {"SHA256SUMS"} == set(listed)
    for name, digest in listed.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name


def test_each_vendored_library_has_its_licence() -> None:
    libraries = {name for name in sums() if not name.startswith("licenses/")}
    licences = [name for name in sums() if name.startswith("licenses/")]
    assert "echarts.esm.min.js" in libraries
    assert any(name.startswith("licenses/echarts-") for name in licences)


def test_the_server_serves_echarts_as_a_module(es: httpx.Client) -> None:
    response = es.get("/_dashboards/vendor/echarts.esm.min.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert "export" in response.text[-2000:]
