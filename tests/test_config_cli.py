"""Configuration precedence (file < environment < flags) and the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from conftest import Server
from loghaven.config import load_config


def test_defaults(tmp_path: Path) -> None:
    config = load_config(environ={"LOGHAVEN_CONFIG": str(tmp_path / "none.yml")})
    assert (config.host, config.port, config.data_dir) == ("127.0.0.1", 9200, Path("data"))
    assert config.elastic_product_header is False


def test_file_then_environment_then_flags(tmp_path: Path) -> None:
    path = tmp_path / "loghaven.yml"
    path.write_text("http:\n  port: 9300\n  elastic_product_header: true\n"
                    "  max_content_length: 10mb\npath.data: /srv/logs\ncluster.name: ops\n")
    config = load_config(path, environ={"LOGHAVEN_PORT": "9400"})
    assert config.port == 9400
    assert config.data_dir == Path("/srv/logs")
    assert config.elastic_product_header is True
    assert config.max_content_length == 10 * 1024 * 1024
    assert config.cluster_name == "ops"
    assert load_config(path, {"port": 9500}, environ={"LOGHAVEN_PORT": "9400"}).port == 9500


def test_unknown_file_setting_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    path = tmp_path / "loghaven.yml"
    path.write_text("http.prot: 9300\n")
    with pytest.raises(ValueError, match=r"unknown setting \[http.prot\].*http.port"):
        load_config(path, environ={})


def test_help_lists_commands() -> None:
    result = subprocess.run([sys.executable, "-m", "loghaven", "--help"], capture_output=True,
                            text=True, check=True)
    assert "serve" in result.stdout and "bench" in result.stdout
    serve = subprocess.run([sys.executable, "-m", "loghaven", "serve", "--help"],
                           capture_output=True, text=True, check=True)
    for flag in ("--host", "--port", "--data-dir", "--config", "--elastic-product-header"):
        assert flag in serve.stdout


def test_server_reads_config_file_and_logs_json(tmp_path: Path) -> None:
    server = Server(tmp_path / "data")
    (tmp_path / "loghaven.yml").write_text("cluster.name: from-file\nnode.name: n1\n")
    server.start()
    try:
        body = httpx.get(server.url + "/").json()
        assert body["cluster_name"] == "from-file" and body["name"] == "n1"
    finally:
        server.stop()
    first = server.log.read_text().splitlines()[0]
    assert '"message":"starting"' in first and '"level":"info"' in first
