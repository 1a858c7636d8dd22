"""The whole benchmark suite on ~2000 documents against a real server subprocess.

This keeps ``loghaven bench`` working as the server grows; it asserts that the
suite runs and that its figures are consistent, never how fast anything is
(see TESTING.md, "Benchmarks are not tests").
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import orjson
import pytest

from loghaven.bench import runner
from loghaven.bench.generators import FIELDS
from loghaven.bench.scenarios import query_specs
from loghaven.bench.sql import same_top

#: Queries whose answers are exact on both sides (the others use sketches).
EXACT = {"term", "match", "phrase", "last_15m_count", "top_ips_by_action", "date_histogram_1m_24h"}

def test_bench_options_and_defaults() -> None:
    parser = argparse.ArgumentParser()
    runner.add_arguments(parser)
    args = parser.parse_args([])
    assert (args.docs, args.scenario, args.seed) == (100_000, "all", 42)
    args = parser.parse_args(
        ["--docs", "5000000", "--clients", "8", "--query-clients", "3", "--scenario", "queries"]
    )
    assert (args.docs, args.clients, args.query_clients) == (5_000_000, 8, 3)
    assert runner._plan("queries") == ["baseline", "ingest", "queries"]
    assert runner._plan("mixed") == ["ingest", "mixed"]
    assert runner._plan("all") == ["baseline", "dynamic", "ingest", "queries", "sql", "mixed",
                                   "monitors", "pipeline", "stream", "ui"]
    assert runner._plan("dynamic") == ["baseline", "dynamic", "ingest"]
    assert runner._plan("sql") == ["ingest", "sql"]
    assert runner._plan("monitors") == ["ingest", "monitors"]
    assert runner._plan("pipeline") == ["pipeline"]
    assert runner._plan("stream") == ["stream"]
    assert (args.stream_transform, args.stream_interval) == ("pipeline", 1)
    assert runner._plan("ui") == ["ui"] and args.ui_reps == 5


def test_cli_wires_bench() -> None:
    from loghaven.cli import build_parser

    args = build_parser().parse_args(["bench", "--docs", "10", "--scenario", "baseline"])
    assert args.docs == 10 and args.scenario == "baseline"


def test_full_suite_smoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results.json"
    code = runner.main(
        [
            "--docs", "2000",
            "--clients", "2",
            "--query-clients", "1",
            "--bulk-docs", "250",
            "--query-reps", "3",
            "--query-budget", "2",
            "--monitors", "4",
            "--monitor-seconds", "2",
            "--pipeline-sample", "300",
            "--ui-reps", "1",
            "--work-dir", str(tmp_path),
            "--out", str(out),
        ]
    )  # fmt: skip
    printed = capsys.readouterr().out
    data = orjson.loads(out.read_bytes())
    assert code == 0, (data["errors"], printed[-3000:])
    assert data["errors"] == {}

    env = data["environment"]
    for key in ("cpu_model", "cpu_count", "memory_bytes", "python", "tantivy", "git_commit"):
        assert env[key], key
    assert data["command"] and data["config"]["docs"] == 2000

    scen = data["scenarios"]
    base, ingest = scen["baseline"], scen["ingest"]
    assert base["docs"] == base["num_docs"] == 2000
    assert ingest["docs_acked"] == 2000 and ingest["docs_failed"] == 0
    assert ingest["count_after_refresh"] == 2000
    assert ingest["raw_bytes"] == base["raw_bytes"] == data["data"]["raw_bytes"] > 2_000_000
    for key in ("docs_per_s", "mb_per_s", "bulk_p50_s", "bulk_p99_s", "disk_bytes"):
        assert ingest[key] > 0, key
    assert ingest["peak_rss_bytes"] > 10 * 2**20
    assert ingest["bulk_requests"] == 8
    assert ingest["mapping"] == "explicit" and ingest["fields_indexed"] == len(FIELDS["waf"])

    # dynamic mapping indexes every field the documents have (strings twice: text and
    # keyword), against raw tantivy given that same schema
    dynamic, base_dynamic = scen["ingest_dynamic"], scen["baseline_dynamic"]
    assert dynamic["mapping"] == "dynamic" and dynamic["docs_acked"] == 2000
    assert dynamic["count_after_refresh"] == 2000 and dynamic["docs_failed"] == 0
    assert dynamic["fields_indexed"] > ingest["fields_indexed"]
    assert base_dynamic["num_docs"] == 2000
    assert base_dynamic["disk_bytes"] > base["disk_bytes"]  # more fields indexed

    rows = {q["name"]: q for q in scen["queries"]["queries"]}
    assert set(rows) == {s.name for s in query_specs(runner.QueryContext(0, "1.2.3.4"))}
    for name, row in rows.items():
        assert row["status"] in ("ok", "unsupported", "error", "bad response"), row
        if row["status"] != "ok":
            # Reported with the server's error, not a crash of the benchmark.
            assert row["error"] and row["status"] in printed, row
        else:
            assert row["http_p50_s"] > 0 and row["http_reps"] >= 1
            if name in EXACT:
                # Loghaven and raw tantivy must find the same documents.
                assert row["results_agree"] is True, row
        if name != "multi_index_ip_pivot":
            assert row["tantivy_p50_s"] > 0, row
    assert all(v["failed"] == 0 for v in scen["secondary_indices"].values())

    mixed = scen["mixed"]
    assert mixed["docs_acked"] == 1000 and mixed["docs_failed"] == 0
    if any(r["status"] == "ok" for r in rows.values()):
        assert mixed["queries"] > 0

    sql = {q["name"]: q for q in scen["sql"]["queries"]}
    assert set(sql) == {"top_ips", "top_ips_by_country"}
    assert all(q["status"] == "ok" and q["agree"] for q in sql.values()), sql

    monitors = scen["monitors"]
    # every monitor ran at least once while the client searched, and none failed
    assert monitors["monitor_runs"] >= 4 and monitors["monitors_failed"] == 0
    assert monitors["lag_p50_ms"] is not None and monitors["client_with_monitors"]["n"] > 0

    pipeline = scen["pipeline"]
    assert pipeline["none"]["docs_acked"] == pipeline["with_pipeline"]["docs_acked"] == 2000

    md = runner.report.to_markdown(data)
    assert md.count("### Ingest") == 3 and "with the schema dynamic mapping made" in md
    assert "### Ingest" in md and "### Queries" in md and "### Mixed" in md
    assert "### Monitors" in md and "### Pipeline" in md and "### Stream (7)" in md
    assert "### UI (8)" in md and scen["ui"]["views"]
    assert "### SQL (10)" in md
    for title in ("1. ingest", "2. raw tantivy-py", "3. queries", "4. mixed", "5. monitors",
                  "6. pipeline", "7. stream", "8. ui", "10. sql"):
        assert title in printed
    # The work folder (spools, server data, baseline index) is removed afterwards.
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_secure_server_is_benchmarked_authenticated(tmp_path: Path) -> None:
    """``--secure``: the server runs with security on and every request authenticates as the
    admin the first start printed, so the figures include authentication and authorization."""
    out = tmp_path / "results.json"
    code = runner.main(
        [
            "--docs", "500", "--clients", "1", "--bulk-docs", "250", "--scenario", "queries",
            "--query-reps", "2", "--query-budget", "1", "--secondary-docs", "500",
            "--work-dir", str(tmp_path), "--out", str(out), "--secure",
        ]
    )  # fmt: skip
    data = orjson.loads(out.read_bytes())
    assert code == 0 and data["errors"] == {}, data["errors"]
    assert data["server"]["secure"] is True
    assert data["scenarios"]["ingest"]["docs_acked"] == 500
    rows = data["scenarios"]["queries"]["queries"]
    assert rows and all(row["status"] == "ok" for row in rows), rows


def test_same_top_allows_ties_at_the_cut_off() -> None:
    a = [("10.0.0.1", None, 9), ("10.0.0.2", None, 5), ("10.0.0.3", None, 5)]
    assert same_top(a, [a[0], a[2], a[1]])
    assert same_top(a, [a[0], a[1], ("10.0.0.4", None, 5)])  # tied at the cut-off
    assert not same_top(a, [("10.0.0.9", None, 9), a[1], a[2]])
    assert not same_top(a, [a[0], a[1], ("10.0.0.3", None, 4)])


def test_sql_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--scenario sql``: the top-IPs GROUP BY through _plugins/_sql and through _search,
    alternately; both answer the same addresses and counts, and the plan is recorded."""
    out = tmp_path / "results.json"
    code = runner.main(["--docs", "3000", "--clients", "2", "--bulk-docs", "500",
                        "--scenario", "sql", "--query-reps", "5", "--query-budget", "2",
                        "--work-dir", str(tmp_path), "--out", str(out)])
    printed = capsys.readouterr().out
    data = orjson.loads(out.read_bytes())
    assert code == 0 and data["errors"] == {}, (data["errors"], printed[-3000:])
    res = data["scenarios"]["sql"]
    assert res["docs"] == 3000
    for row in res["queries"]:
        assert row["status"] == "ok", row
        assert row["agree"] is True and len(row["sql_top"]) == 10, row
        assert row["runs"] == 5 and row["sql_p50_s"] > 0 and row["search_p50_s"] > 0
        assert row["ratio_p50"] == row["sql_p50_s"] / row["search_p50_s"]
        assert isinstance(row["explain"], dict), row["explain"]
    by_country = next(r for r in res["queries"] if r["name"] == "top_ips_by_country")
    assert all(country for _, country, _ in by_country["sql_top"])
    assert "10. sql" in printed and "top_ips_by_country" in printed


def test_pipeline_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--scenario pipeline``: the same WAF records without and through loghaven-aws-waf
    over HTTP, the server's CPU by process, and each processor's time in-process."""
    out = tmp_path / "results.json"
    code = runner.main(["--docs", "1000", "--clients", "2", "--bulk-docs", "250",
                        "--scenario", "pipeline", "--pipeline-sample", "200",
                        "--work-dir", str(tmp_path), "--out", str(out)])
    printed = capsys.readouterr().out
    data = orjson.loads(out.read_bytes())
    assert code == 0 and data["errors"] == {}, (data["errors"], printed[-3000:])
    res = data["scenarios"]["pipeline"]
    assert res["pipeline"] == "loghaven-aws-waf"
    for side in ("none", "with_pipeline"):
        assert res[side]["docs_acked"] == res[side]["count_after_refresh"] == 1000
        assert res[side]["docs_per_s"] > 0 and res[side]["main_cpu_s"] > 0
    piped = res["with_pipeline"]
    assert piped["workers"] >= 1 and piped["worker_cpu_s"] > 0  # pipelines ran there
    assert res["ratio_docs_per_s"] > 0
    phases = res["phases"]
    assert phases["sample"] == 200 and phases["failed"] == 0 and phases["pipeline_cpu_us"] > 0
    steps = [name for name in phases["phases"]["pipeline"] if name.startswith("#")]
    kinds = {name.split()[1] for name in steps}
    assert {"date", "rename", "script", "geoip", "user_agent"} <= kinds
    assert all(phases["phases"]["pipeline"][name] >= 0 for name in steps)
    for name in ("prepare for the mapping", "write: WAL, tantivy, sync"):
        assert phases["phases"]["none"][name] > 0 and phases["phases"]["pipeline"][name] > 0
    assert phases["caches"]["geoip"]["maxsize"] == 1000
    assert "6. pipeline" in printed and "where the time goes" in printed
    assert "### Pipeline" in runner.report.to_markdown(data)
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


@pytest.mark.parametrize("transform", ["pipeline", "http"])
def test_stream_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                         transform: str) -> None:
    """``--scenario stream``: the same WAF records through a Firehose stream (boto3's
    PutRecordBatch, a transform, a daily index) and as HEC events with acknowledgements, each
    against ``_bulk`` of them, every record counted where it should be."""
    out = tmp_path / "results.json"
    code = runner.main(["--docs", "1200", "--clients", "2", "--scenario", "stream",
                        "--stream-transform", transform, "--work-dir", str(tmp_path),
                        "--out", str(out)])
    printed = capsys.readouterr().out
    data = orjson.loads(out.read_bytes())
    assert code == 0 and data["errors"] == {}, (data["errors"], printed[-3000:])
    res = data["scenarios"]["stream"]
    fh, hec = res["firehose"], res["hec"]
    sides = [fh["bulk"], fh["stream"], hec["bulk"], hec["hec"]]
    for side in sides:
        assert side["records_accepted"] == side["count"] == 1200, side
        assert side["records_failed"] == 0 and side["complete"], side
        assert side["records_per_s"] > 0 and side["put_p99_s"] >= side["put_p50_s"] > 0
        assert side["peak_rss_bytes"] > 10 * 2**20 and side["server_cpu_s"] > 0
    # 500 records per call: 3 calls for 1,200 records (a stream's partial refusals resent)
    assert [fh["bulk"]["calls"], hec["bulk"]["calls"], hec["hec"]["calls"]] == [3, 3, 3]
    stream = fh["stream"]
    assert stream["calls"] >= 3 and stream["lag_s"] > 0
    assert stream["lambda_arn"] == "pipeline:loghaven-aws-waf" if transform == "pipeline" \
        else stream["lambda_arn"].startswith("http://127.0.0.1:")
    # the daily index the stream rotated into (the run may straddle midnight UTC)
    assert 1 <= len(stream["indices"]) <= 2, stream["indices"]
    assert all(re.fullmatch(r"bench-stream-\d{4}-\d{2}-\d{2}", i) for i in stream["indices"])
    if transform == "http":
        assert stream["function_invocations"] >= 1
    metrics = stream["metrics"]
    assert metrics, "DescribeDeliveryStream has the stream's LoghavenMetrics"
    assert fh["ratio_records_per_s"] > 0 and hec["ratio_records_per_s"] > 0
    assert hec["hec"]["lag_s"] >= 0 and hec["hec"]["searchable_after_s"] >= 0
    assert "7. stream" in printed and "HEC" in printed
    assert "### Stream (7)" in runner.report.to_markdown(data)
    # the streams, indices, template and token are gone with the work folder
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_ui_quiet_network_and_static_files() -> None:
    """The network is quiet at the end of the burst going on at the load event: a request
    starting more than 500 ms after every earlier one ended is a view's polling, not its
    load; static files are the UI's own, API calls everything else."""
    from loghaven.bench import ui

    assert ui.quiet_ms([], 40.0) == 40.0
    burst = [(5.0, 30.0), (50.0, 120.0), (60.0, 300.0), (310.0, 400.0), (850.0, 900.0),
             (5000.0, 5010.0)]
    assert ui.quiet_ms(burst, 45.0) == 900.0
    assert ui.quiet_ms([*burst[:4], (901.0, 950.0)], 45.0) == 400.0
    assert ui.quiet_ms(burst, 1000.0) == 1000.0  # all done before the load event
    assert ui.is_static("http://127.0.0.1:9200/_dashboards/app.js")
    assert ui.is_static("http://127.0.0.1:9200/_dashboards/vendor/echarts.esm.min.js")
    assert not ui.is_static("http://127.0.0.1:9200/_dashboards/api/saved_objects/_find?x=1")
    assert not ui.is_static("http://127.0.0.1:9200/_dashboards/auth/logout")
    assert not ui.is_static("http://127.0.0.1:9200/_cat/indices?format=json")


def test_ui_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--scenario ui``: WAF records through the built-in pipeline, then every view of the
    web UI loaded in Chromium cold and warm, with its paint times, requests and API calls,
    and the same API calls sent directly; views that need an index pattern are reported as
    not available when the server cannot make one."""
    from loghaven.bench import ui

    out = tmp_path / "results.json"
    code = runner.main(["--docs", "300", "--clients", "1", "--bulk-docs", "150",
                        "--scenario", "ui", "--ui-reps", "1", "--work-dir", str(tmp_path),
                        "--out", str(out)])
    printed = capsys.readouterr().out
    data = orjson.loads(out.read_bytes())
    assert code == 0 and data["errors"] == {}, (data["errors"], printed[-3000:])
    res = data["scenarios"]["ui"]
    assert "skipped" not in res, res  # the test environment has Playwright and Chromium
    assert res["data"]["count"] == 300 and res["data"]["index"] == ui.UI_INDEX
    assert res["browser"].startswith("Chromium ") and res["reps"] == 1
    views = {v["view"]: v for v in res["views"]}
    assert list(views) == ["overview", "discover", "visualize", "dashboards", "console",
                           "alerting", "indices", "operations", "management"]
    objects = res["objects"]
    for name, view in views.items():
        if view["status"] == "not available":
            assert name in ui.NEEDS_PATTERN and not objects["available"], view
            assert view["note"] == objects["reason"] and view["note"] in printed.replace(
                "\n", "")
            continue
        assert view["status"] in ("ok", "errors"), view
        assert len(view["samples"]["cold"]) == len(view["samples"]["warm"]) == 1
        for load in ("cold", "warm"):
            figures = view[load]
            # views' modules load after the load event and the first paint follows the
            # response it draws, so it may come a frame after the network's last request
            # ended, but before the sample was taken: within the quiet window
            assert 0 < figures["fcp_ms"] <= figures["quiet_ms"] + ui.QUIET_MS, (
                name, load, figures)
            assert figures["lcp_ms"] >= figures["fcp_ms"], (name, load, figures)
            assert figures["dcl_ms"] <= figures["load_ms"]
            assert figures["static_requests"] >= 2 and figures["never_quiet"] == 0
            assert figures["quiet_ms"] >= figures["dcl_ms"] > 0
        # a warm load takes the UI's files from the cache (or revalidates them)
        assert view["warm"]["static_bytes"] < view["cold"]["static_bytes"]
        assert view["goal_met"] == (view["cold"]["fcp_ms"] < 1000)
        assert view["direct"]["calls"] + view["direct"]["skipped"] == len(view["calls"])
    overview = views["overview"]
    assert overview["status"] == "ok", overview["problems"]
    # the overview's own calls, seen by the browser and sent again directly
    assert "GET /_cluster/health" in overview["calls"]
    assert overview["cold"]["api_requests"] >= 2 and overview["cold"]["api_sum_ms"] > 0
    assert overview["direct"]["calls"] >= 2 and overview["direct"]["sum_ms"] > 0
    assert overview["quiet_over_direct"] > 0
    assert "8. ui" in printed and "FCP" in printed
    assert "### UI (8)" in runner.report.to_markdown(data)
    # the index and any saved object the scenario made are deleted; the work folder too
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_ui_scenario_without_playwright(monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Without Playwright the ui scenario is reported as skipped, with the command that
    installs it, instead of failing the run."""
    import sys

    from loghaven.bench import report, ui

    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)  # import fails
    res = ui.scenario_ui(None, Path("unused"), 10, 42, 10, 1, 1)  # type: ignore[arg-type]
    assert res["views"] == [] and "pip install 'loghaven[test]'" in res["skipped"]
    report.print_ui(res)
    assert "8. ui skipped" in capsys.readouterr().out
    md = report.to_markdown({"command": "x", "environment": report.environment(),
                             "scenarios": {"ui": res}})
    assert "### UI (8)" in md and "Skipped: Playwright is not installed" in md
