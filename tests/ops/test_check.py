"""``loghaven check`` against a real node that breaks the best practices: listening on all
addresses with security off, a daily index without a lifecycle policy, no snapshot policy,
no slow log, many tiny indices; and what each fix does to the report."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import orjson
import pytest
from tests.ops.checkkit import check, check_json, warning_codes, without_alarms_api

from conftest import Server, free_port

MB = 1024 * 1024


@pytest.fixture(scope="module")
def open_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A node bound to all addresses with security off (accepted with --allow-anonymous)."""
    server = Server(tmp_path_factory.mktemp("open") / "data", "--host", "0.0.0.0",
                    "--allow-anonymous").start()
    yield server
    server.stop()


@pytest.fixture
def es(open_node: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=open_node.url, timeout=30) as client:
        yield client


def test_the_overview_describes_the_node(open_node: Server, es: httpx.Client) -> None:
    assert es.put("/web-2026.11").status_code == 200
    code, report = check_json("--url", open_node.url)
    overview = report["overview"]
    disk = shutil.disk_usage(open_node.data_dir)
    assert overview["version"] == es.get("/").json()["version"]["number"]
    assert overview["loghaven_version"] and overview["node_name"] == "loghaven-1"
    assert overview["data_path"] == str(open_node.data_dir.resolve())
    assert overview["network_host"] == "0.0.0.0" and overview["security_enabled"] is False
    assert overview["disk_total_bytes"] == disk.total
    # the seed's "free storage calced to": 20% of the disk, in MB
    assert overview["free_storage_threshold_mb"] == round(disk.total / MB * 0.2, 1)
    assert overview["snapshot_policies"] == []
    assert overview["tiers"]["hot"]["indices"] >= 1 and overview["tiers"]["warm"]["indices"] == 0
    assert overview["tiers"]["warm"]["bucket"] == "loghaven-warm"
    memory = overview["memory"]
    machine = next(int(line.split()[1]) * 1024 for line in Path("/proc/meminfo").read_text()
                   .splitlines() if line.startswith("MemTotal:"))
    assert memory["limit"] == "80%" and memory["machine_bytes"] == machine
    assert memory["limit_bytes"] == int(machine * 0.8) and 0 < memory["pressure_percent"] < 85
    assert code == report["exit_code"] == 1 and report["needs_attention"] is True

    text = check("--url", open_node.url).stdout
    for expected in ("System overview", f"data path               {overview['data_path']}",
                     f"free storage threshold  {overview['free_storage_threshold_mb']} MB",
                     "snapshot schedule       none", "memory limit            80% = "):
        assert expected in text


def test_the_nodes_settings_check_reads(open_node: Server, es: httpx.Client) -> None:
    node = next(iter(es.get("/_nodes/_local").json()["nodes"].values()))
    settings = node["settings"]
    assert settings["network"]["host"] == "0.0.0.0"
    assert settings["plugins"]["security"]["disabled"] == "true"
    assert settings["node"]["memory"]["limit"] == "80%"
    assert settings["path"]["data"] == [str(open_node.data_dir.resolve())]


def test_warnings_and_what_clears_them(open_node: Server, es: httpx.Client) -> None:
    assert es.put("/logs-2026.12.01").status_code == 200
    assert es.put("/app-000001").status_code == 200
    done = check("--url", open_node.url)
    assert done.returncode == 1, done.stderr
    assert "WARNING: listening on [0.0.0.0] (beyond loopback) with security off" in done.stdout
    assert "WARNING: no automated snapshots" in done.stdout
    assert "WARNING: neither index nor search slow logs are enabled" in done.stdout
    # web-2026.11 is the first test's monthly index
    assert ("WARNING: 3 time-based indices without a lifecycle policy: app-000001, "
            "logs-2026.12.01, web-2026.11") in done.stdout
    assert "what to do: create an ISM policy" in done.stdout
    code, report = check_json("--url", open_node.url)
    assert code == 1
    assert warning_codes(report) == {"open_without_auth", "no_automated_snapshots",
                                     "slow_logs_off", "no_lifecycle_policy"}

    # the fixes, each as the warning's "what to do" says
    assert es.put("/logs-2026.12.01/_settings", json={
        "index.search.slowlog.threshold.query.warn": "5s"}).status_code == 200
    policy = {"policy": {"description": "delete after 30 days", "default_state": "hot",
                         "states": [{"name": "hot", "actions": [], "transitions": []}],
                         "ism_template": [{"index_patterns": ["logs-*", "app-*", "web-*"]}]}}
    assert es.put("/_plugins/_ism/policies/retention", json=policy).status_code == 201
    added = es.post("/_plugins/_ism/add/logs-*,app-*,web-*", json={"policy_id": "retention"})
    assert added.json()["updated_indices"] == 3, added.text
    assert es.post("/_plugins/_sm/policies/daily", json={
        "creation": {"schedule": {"cron": {"expression": "0 1 * * *", "timezone": "UTC"}}},
        "snapshot_config": {"repository": "backups"}}).status_code == 201
    _, report = check_json("--url", open_node.url)
    assert warning_codes(report) == {"open_without_auth"}
    assert report["overview"]["snapshot_policies"] == [
        {"name": "daily", "enabled": True, "cron": "0 1 * * *", "timezone": "UTC"}]
    assert "snapshot schedule       daily: 0 1 * * * UTC" in check("--url", open_node.url).stdout

    # a stopped policy is no automated snapshot
    assert es.post("/_plugins/_sm/policies/daily/_stop").status_code == 200
    _, report = check_json("--url", open_node.url)
    assert "no_automated_snapshots" in warning_codes(report)
    assert report["overview"]["snapshot_policies"][0]["enabled"] is False
    assert es.post("/_plugins/_sm/policies/daily/_start").status_code == 200


def test_many_tiny_indices_are_too_many_small_splits(open_node: Server,
                                                     es: httpx.Client) -> None:
    lines = b"".join(orjson.dumps({"index": {"_index": f"tiny-{n:03d}"}}) + b"\n" +
                     orjson.dumps({"n": n}) + b"\n" for n in range(60))
    bulk = es.post("/_bulk", params={"refresh": "true"}, content=lines,
                   headers={"content-type": "application/x-ndjson"})
    assert bulk.status_code == 200 and not bulk.json()["errors"]
    _, report = check_json("--url", open_node.url)
    small = next(w for w in report["warnings"] if w["code"] == "too_many_small_splits")
    assert "small segments (averaging under 16 MB) in" in small["message"]
    assert "more than 50" in small["message"] and "_forcemerge" in small["action"]
    for n in range(60):
        assert es.delete(f"/tiny-{n:03d}").status_code == 200
    _, report = check_json("--url", open_node.url)
    assert "too_many_small_splits" not in warning_codes(report)


def test_a_server_without_the_alarms_api(open_node: Server) -> None:
    with without_alarms_api(open_node.url) as url:
        done = check("--url", url)
        _, report = check_json("--url", url)
    assert done.returncode == 1
    assert "cannot check the alarms: the server has no /_plugins/_loghaven/alarms" in done.stdout
    assert report["alarms"] == {"available": False, "enabled": False, "alarms": []}


def test_an_unreachable_server_cannot_be_checked() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    done = check("--url", url)
    assert done.returncode == 2
    assert f"cannot reach the server at {url}" in done.stderr
    assert "Give its address with --url" in done.stderr
    code, report = check_json("--url", url)
    assert code == 2 and report["exit_code"] == 2 and "cannot reach" in report["error"]


def test_colors_only_on_a_terminal(open_node: Server) -> None:
    piped = check("--url", open_node.url)
    assert "\x1b[" not in piped.stdout + piped.stderr
    main, secondary = os.openpty()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LOGHAVEN_")}
    environ.update(TERM="xterm-256color", COLUMNS="120")
    environ.pop("NO_COLOR", None)
    with subprocess.Popen([sys.executable, "-m", "loghaven", "check", "--url", open_node.url],
                          stdout=secondary, stderr=secondary, stdin=subprocess.DEVNULL,
                          env=environ) as process:
        os.close(secondary)
        output = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            output += chunk
        assert process.wait(60) == 1
    os.close(main)
    text = output.decode(errors="replace")
    assert "\x1b[" in text and "WARNING: " in text and "System overview" in text


def test_a_url_that_is_not_a_search_server(tmp_path: Path) -> None:
    port = free_port()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        done = check("--url", f"http://127.0.0.1:{port}")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert done.returncode == 2
    assert "answered 200 with something other than JSON: is --url a Loghaven server?" in \
        done.stderr
