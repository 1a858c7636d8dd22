"""``loghaven ingest`` from local files, folders, globs and stdin, in each format, to the index
and pipeline asked for; checked through the server's HTTP API."""

from __future__ import annotations

import gzip
import os
import pty
import shutil
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
from loadkit import SAMPLES, count, docs, ingest, running, summary, write_ndjson

from conftest import Server


def test_ndjson_file(server: Server, es: httpx.Client, index_name: str, tmp_path: Path) -> None:
    source = write_ndjson(tmp_path / "a.ndjson", [{"n": i, "msg": f"m{i}"} for i in range(25)])
    result = ingest("--url", server.url, "--index", index_name, "--batch-size", "10",
                    str(source), state=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [doc["n"] for doc in docs(es, index_name)] == list(range(25))
    assert summary(result)["files"] == "1 done, 0 skipped, 0 failed"
    assert summary(result)["records"] == "25 indexed, 0 failed, 0 dropped, 0 skipped"
    # no progress bar when stderr is not a terminal
    assert result.stderr == ""


def test_json_array_and_single_object(server: Server, es: httpx.Client, index_name: str,
                                      tmp_path: Path) -> None:
    pretty = orjson.OPT_INDENT_2
    (tmp_path / "array.json").write_bytes(orjson.dumps([{"n": 1}, {"n": 2}], option=pretty))
    (tmp_path / "one.json").write_bytes(orjson.dumps({"n": 3}, option=pretty))
    result = ingest("--url", server.url, "--index", index_name, "--format", "json",
                    str(tmp_path / "array.json"), str(tmp_path / "one.json"), state=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [doc["n"] for doc in docs(es, index_name)] == [1, 2, 3]
    # the same files detected without --format (a pretty object spans lines: JSON, not ndjson)
    again = ingest("--url", server.url, "--index", index_name + "-auto", "--no-checkpoints",
                   str(tmp_path / "array.json"), str(tmp_path / "one.json"), state=tmp_path)
    assert again.returncode == 0, again.stderr
    assert count(es, index_name + "-auto") == 3
    (tmp_path / "mixed.json").write_bytes(b'[{"n": 4}, 5]')
    mixed = ingest("--url", server.url, "--index", index_name, str(tmp_path / "mixed.json"),
                   state=tmp_path)
    assert mixed.returncode == 1
    assert "an array item is a JSON number, not an object" in mixed.stdout


def test_stdin_and_gzip_with_concatenated_members(server: Server, es: httpx.Client,
                                                  index_name: str, tmp_path: Path) -> None:
    first = gzip.compress(b'{"n": 1}\n{"n": 2}\n')
    second = gzip.compress(b'{"n": 3}\n')
    result = ingest("--url", server.url, "--index", index_name, "-", stdin=first + second,
                    state=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [doc["n"] for doc in docs(es, index_name)] == [1, 2, 3]


def test_folder_recursive_and_glob(server: Server, es: httpx.Client, index_name: str,
                                   tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    (folder / "2026" / "11").mkdir(parents=True)
    write_ndjson(folder / "a.ndjson", [{"n": 1}])
    write_ndjson(folder / "2026" / "11" / "b.ndjson", [{"n": 2}, {"n": 3}])
    (folder / "2026" / "c.ndjson.gz").write_bytes(gzip.compress(b'{"n": 4}\n'))
    result = ingest("--url", server.url, "--index", index_name, str(folder), state=tmp_path)
    assert result.returncode == 0, result.stderr
    assert summary(result)["files"] == "3 done, 0 skipped, 0 failed"
    assert [doc["n"] for doc in docs(es, index_name)] == [1, 2, 3, 4]

    globbed = ingest("--url", server.url, "--index", index_name + "-glob", "--no-checkpoints",
                     str(folder / "**" / "*.ndjson"), state=tmp_path)
    assert globbed.returncode == 0, globbed.stderr
    assert [doc["n"] for doc in docs(es, index_name + "-glob")] == [1, 2, 3]


def test_date_math_index_and_rotation(server: Server, es: httpx.Client, index_name: str,
                                      tmp_path: Path) -> None:
    source = write_ndjson(tmp_path / "a.ndjson", [{"n": 1}])
    before = datetime.now(UTC)
    math = ingest("--url", server.url, "--index", f"{index_name}-{{now/d}}", str(source),
                  state=tmp_path)
    rotated = ingest("--url", server.url, "--index", f"<{index_name}-r-{{now/M{{yyyy.MM}}}}>",
                     "--no-checkpoints", str(source), state=tmp_path)
    firehose = ingest("--url", server.url, "--index", f"{index_name}-f", "--rotation",
                      "OneDay", "--no-checkpoints", str(source), state=tmp_path)
    after = datetime.now(UTC)
    assert (math.returncode, rotated.returncode, firehose.returncode) == (0, 0, 0)
    names = {row["index"] for row in
             es.get(f"/_cat/indices/{index_name}-*?format=json").json()}
    days = {before, after}
    assert names & {f"{index_name}-{d:%Y.%m.%d}" for d in days}
    assert names & {f"{index_name}-r-{d:%Y.%m}" for d in days}
    assert names & {f"{index_name}-f-{d:%Y-%m-%d}" for d in days}


def test_pipeline_runs_and_drops_count(server: Server, es: httpx.Client, index_name: str,
                                       tmp_path: Path) -> None:
    pipeline = f"{index_name}-p"
    assert es.put(f"/_ingest/pipeline/{pipeline}", json={"processors": [
        {"drop": {"if": "ctx.n == 2"}},
        {"set": {"field": "seen", "value": "yes"}}]}).status_code == 200
    source = write_ndjson(tmp_path / "a.ndjson", [{"n": i} for i in range(4)])
    result = ingest("--url", server.url, "--index", index_name, "--pipeline", pipeline,
                    str(source), state=tmp_path)
    assert result.returncode == 0, result.stderr
    assert summary(result)["records"] == "3 indexed, 0 failed, 1 dropped, 0 skipped"
    assert [(doc["n"], doc["seen"]) for doc in docs(es, index_name)] == [
        (0, "yes"), (1, "yes"), (3, "yes")]
    missing = ingest("--url", server.url, "--index", index_name, "--pipeline", "no-such",
                     str(source), state=tmp_path)
    assert missing.returncode == 3 and "no ingest pipeline [no-such]" in missing.stderr


def test_failing_items_and_bad_lines_are_counted_with_reasons(
        server: Server, es: httpx.Client, index_name: str, tmp_path: Path) -> None:
    assert es.put(f"/{index_name}", json={"mappings": {"properties": {
        "n": {"type": "integer"}}}}).status_code == 200
    source = tmp_path / "mixed.ndjson"
    source.write_bytes(b'{"n": 1}\n{"n": "one"}\nnot json\n{"n": 2}\n[1]\n{"n": 3}\n')
    result = ingest("--url", server.url, "--index", index_name, str(source), state=tmp_path)
    assert result.returncode == 1
    assert summary(result)["records"] == "3 indexed, 3 failed, 0 dropped, 0 skipped"
    assert "mapper_parsing_exception" in result.stdout
    assert "(line 3): invalid JSON" in result.stdout
    assert "(line 5): expected a JSON object" in result.stdout
    assert [doc["n"] for doc in docs(es, index_name)] == [1, 2, 3]


def test_parsers_detected_per_file_reach_their_daily_index(fresh_server: Server,
                                                          tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    (folder / "waf").mkdir(parents=True)
    waf = (SAMPLES / "aws-waf.ndjson").read_bytes().splitlines(True)
    # as Firehose writes them: a .gz of several gzip members, named by the S3 key
    (folder / "waf" / "aws-waf-logs-1.gz").write_bytes(
        gzip.compress(b"".join(waf[:2])) + gzip.compress(b"".join(waf[2:])))
    (folder / "access.log").write_bytes((SAMPLES / "clf-access.log").read_bytes())
    day = datetime.now(UTC)
    result = ingest("--url", fresh_server.url, str(folder), state=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    with httpx.Client(base_url=fresh_server.url, timeout=30) as es:
        indices = {row["index"] for row in es.get("/_cat/indices?format=json").json()}
        waf_index = next(name for name in indices if name.startswith("awswaf-"))
        web_index = next(name for name in indices if name.startswith("weblogs-"))
        assert waf_index in {f"awswaf-{d:%Y-%m-%d}" for d in (day, datetime.now(UTC))}
        assert web_index in {f"weblogs-{d:%Y-%m-%d}" for d in (day, datetime.now(UTC))}
        assert count(es, waf_index) == len(waf)
        lines = [line for line in (SAMPLES / "clf-access.log").read_bytes().splitlines()
                 if line.strip()]
        assert count(es, web_index) == len(lines)
        mapping = es.get(f"/{waf_index}/_mapping").json()[waf_index]["mappings"]["properties"]
        assert mapping["source"]["properties"]["ip"]["type"] == "ip"
        assert mapping["@timestamp"]["type"] == "date"
        first = docs(es, waf_index, sort="@timestamp")[0]
        assert first["source"]["ip"] == "81.2.69.160" and "httpRequest" not in first
        web = docs(es, web_index, sort="@timestamp")
        assert {doc["http"]["response"]["status_code"] for doc in web if "http" in doc} >= {
            200, 304}


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    source = write_ndjson(tmp_path / "a.ndjson", [{"n": 1}])
    for args in (["--format", "ndjson", str(source)],
                 ["--format", "nope", "--index", "x", str(source)],
                 ["--index", "x", str(tmp_path / "missing.ndjson")],
                 ["--index", "x", "--rotation", "Daily", str(source)],
                 ["--index", "x", "--watch", "-"]):
        result = ingest("--url", "http://127.0.0.1:9", *args, state=tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.startswith("loghaven ingest: "), result.stderr
    assert ingest(state=tmp_path).returncode == 2  # argparse: no source


def test_ndjson_detected_without_index_fails_that_file(server: Server, tmp_path: Path) -> None:
    source = write_ndjson(tmp_path / "a.ndjson", [{"n": 1}])
    result = ingest("--url", server.url, str(source), state=tmp_path)
    assert result.returncode == 1
    assert "the records are ndjson: give --index" in result.stderr
    assert summary(result)["files"] == "0 done, 0 skipped, 1 failed"


def test_progress_bar_on_a_terminal_only(server: Server, es: httpx.Client, index_name: str,
                                         tmp_path: Path) -> None:
    source = write_ndjson(tmp_path / "a.ndjson", [{"n": i, "text": "x" * 200}
                                                  for i in range(30_000)])
    controller, terminal = pty.openpty()
    try:
        with running("--url", server.url, "--index", index_name, "--batch-size", "500",
                     str(source), state=tmp_path, stderr=terminal,
                     env={"TERM": "xterm", "COLUMNS": "160"}) as process:
            os.close(terminal)
            shown = b""
            while True:
                try:
                    chunk = os.read(controller, 65536)
                except OSError:  # the terminal's other end is closed: the run is over
                    break
                if not chunk:
                    break
                shown += chunk
            out, _ = process.communicate(timeout=120)
    finally:
        os.close(controller)
    assert process.returncode == 0
    text = shown.decode(errors="replace")
    assert "docs/s" in text and "B/s" in text and "ingest" in text
    assert "30000 indexed" in out.decode()  # the summary goes to stdout, not the terminal
    quiet = ingest("--url", server.url, "--index", index_name, "--quiet", "--restart",
                   str(source), state=tmp_path)
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_a_parser_into_an_index_of_ones_choice_runs_its_pipeline(
        server: Server, es: httpx.Client, index_name: str, tmp_path: Path) -> None:
    source = tmp_path / "site.txt"  # no telling name: the format is given
    source.write_bytes((SAMPLES / "clf-access.log").read_bytes())
    result = ingest("--url", server.url, "--format", "clf", "--index", index_name, str(source),
                    state=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    parsed = [doc for doc in docs(es, index_name, sort="@timestamp") if "http" in doc]
    assert parsed and parsed[0]["source"]["ip"] == "127.0.0.1"


def test_every_parser_is_detected_in_one_folder(fresh_server: Server, tmp_path: Path) -> None:
    folder = tmp_path / "samples"
    shutil.copytree(SAMPLES, folder, ignore=shutil.ignore_patterns("plain.ndjson", "array.json"))
    result = ingest("--url", fresh_server.url, str(folder), state=tmp_path)
    assert "0 failed" in summary(result)["files"], result.stdout + result.stderr
    with httpx.Client(base_url=fresh_server.url, timeout=30) as es:
        es.post("/_refresh")
        counts = {row["index"].rsplit("-", 3)[0]: int(row["docs.count"]) for row in
                  es.get("/_cat/indices?format=json&h=index,docs.count").json()}
    assert counts.keys() == {"awswaf", "cloudtrail", "cloudwatch-logs", "vpcflow", "alb",
                             "cloudfront", "syslog", "weblogs"}, counts
    assert all(counts.values()), counts
