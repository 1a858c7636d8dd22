"""Configuration precedence (file < environment < flags) and the command line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from conftest import Server, free_port
from loghaven.config import Config, load_config
from loghaven.network import anonymous_bind_refusal


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


def test_lookup_cache_sizes_are_es_settings(tmp_path: Path) -> None:
    path = tmp_path / "loghaven.yml"
    path.write_text("ingest:\n  geoip.cache_size: 50000\n  user_agent:\n    cache_size: 0\n")
    config = load_config(path, environ={})
    assert (config.geoip_cache_size, config.user_agent_cache_size) == (50000, 0)
    assert load_config(environ={"LOGHAVEN_CONFIG": str(tmp_path / "none.yml")}) \
        .geoip_cache_size == 1000


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


def test_edge_settings_from_file_and_environment(tmp_path: Path) -> None:
    path = tmp_path / "loghaven.yml"
    path.write_text("http:\n  allowed_hosts: [logs.example.com]\n  cors:\n    enabled: true\n"
                    "    allow-origin: '*'\n    max-age: 60\n")
    config = load_config(path, environ={"LOGHAVEN_ALLOWED_HOSTS": "a.example, b.example",
                                        "LOGHAVEN_ALLOW_ANONYMOUS": "true"})
    assert config.allowed_hosts == ["a.example", "b.example"]
    assert (config.cors_enabled, config.cors_allow_origin, config.cors_max_age) == \
        (True, "*", 60)
    assert config.allow_anonymous is True
    defaults = load_config(environ={"LOGHAVEN_CONFIG": str(tmp_path / "none.yml")})
    assert (defaults.cors_enabled, defaults.allow_anonymous, defaults.allowed_hosts) == \
        (False, False, [])


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "localhost"])
def test_loopback_needs_no_flag(host: str) -> None:
    assert anonymous_bind_refusal(Config(host=host)) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "fd00::99"])
def test_listening_beyond_loopback_needs_the_anonymous_flag(host: str) -> None:
    refusal = anonymous_bind_refusal(Config(host=host))
    assert refusal is not None and "--allow-anonymous" in refusal
    assert "LOGHAVEN_ALLOW_ANONYMOUS" in refusal and "http.allow_anonymous" in refusal
    assert anonymous_bind_refusal(Config(host=host, allow_anonymous=True)) is None


def test_serve_refuses_a_public_address_without_the_flag(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGHAVEN_")}
    result = subprocess.run(
        [sys.executable, "-m", "loghaven", "serve", "--host", "0.0.0.0", "--port", "9",
         "--data-dir", str(tmp_path / "data")],
        capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "refusing to listen on [0.0.0.0]" in result.stderr
    assert "--secure" in result.stderr and "--allow-anonymous" in result.stderr


def test_serve_refuses_a_bad_size_naming_the_setting(tmp_path: Path) -> None:
    """A size with an unknown unit stops the server before it starts, with ES's message and
    the file's setting name, not a traceback."""
    (tmp_path / "loghaven.yml").write_text("http:\n  max_content_length: 10zz\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGHAVEN_")}
    result = subprocess.run(
        [sys.executable, "-m", "loghaven", "serve", "--port", "9",
         "--data-dir", str(tmp_path / "data")],
        capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "loghaven: failed to parse setting [http.max_content_length] with value [10zz] as a "
        "size in bytes: unit is missing or unrecognized")


@pytest.mark.parametrize("setting, value, message", [
    ("LOGHAVEN_NODE_MEMORY_LIMIT", "lots",
     "failed to parse setting [node.memory.limit] with value [lots] as a size in bytes: unit "
     "is missing or unrecognized"),
    ("LOGHAVEN_OPS_METRICS_INTERVAL", "0s",
     "ops.metrics.interval and ops.metrics.retention must be positive")])
def test_serve_refuses_a_setting_the_node_checks(tmp_path: Path, setting: str, value: str,
                                                 message: str) -> None:
    """Settings checked as the node is built stop it the same way: the message, no
    traceback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGHAVEN_")}
    result = subprocess.run(
        [sys.executable, "-m", "loghaven", "serve", "--port", "9",
         "--data-dir", str(tmp_path / "data")],
        capture_output=True, text=True, timeout=60, env={**env, setting: value}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == f"loghaven: {message}"


def _own_public_address() -> str | None:
    """A non-loopback IPv4 address of this machine that a socket can bind, if there is one."""
    try:
        route = Path("/proc/net/fib_trie").read_text()
    except OSError:
        return None
    for line in route.splitlines():
        text = line.strip()
        if text.startswith("|-- ") and not text.startswith("|-- 127."):
            candidate = text[4:]
            if candidate.count(".") != 3 or candidate.endswith((".0", ".255")):
                continue
            with socket.socket() as sock:
                try:
                    sock.bind((candidate, 0))
                except OSError:
                    continue
            return candidate
    return None


def test_serve_listens_on_a_public_address_with_the_flag(tmp_path: Path) -> None:
    address = _own_public_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to bind")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGHAVEN_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "loghaven", "serve", "--host", address, "--port", str(port),
         "--data-dir", str(tmp_path / "data"), "--allow-anonymous"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=tmp_path)
    try:
        # Watch for the listening socket in the kernel's table: no traffic leaves loopback.
        wanted = f"{socket.inet_aton(address)[::-1].hex().upper()}:{port:04X}"
        deadline = time.monotonic() + 30
        listening = False
        while time.monotonic() < deadline and process.poll() is None and not listening:
            listening = any(line.split()[1] == wanted and line.split()[3] == "0A"
                            for line in Path("/proc/net/tcp").read_text().splitlines()[1:])
            time.sleep(0.1)
        assert listening, process.stderr.read().decode() if process.poll() is not None else ""
    finally:
        process.terminate()
        process.wait(15)
