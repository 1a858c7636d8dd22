"""The Apache/Nginx parser (``loghaven-clf``): its records and sniff on real-looking lines,
and lines loaded over HTTP into a ``weblogs-*`` index, parsed by the template's default
pipeline into typed ECS fields."""

from __future__ import annotations

import httpx
import pytest
from weblines import OTHER_SAMPLES, field_types, load, raw_lines, records, search, sniffers, terms

from loghaven.ingest.parsers import PARSERS, detect

CLF = PARSERS["clf"]


def test_records_are_the_lines_without_terminators_or_blanks() -> None:
    found = records("clf", "clf-access.log")
    assert len(found) == 8  # nine lines, one blank
    assert found[0] == {"message": '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] '
                                   '"GET /apache_pb.gif HTTP/1.0" 200 2326'}  # CRLF cut
    assert found[-1] == {"message": "this is not an access log line"}
    assert list(CLF.records([b"\xef\xbb\xbfa\n", b"\n", b"  \r\n", b"\xff\xfe junk\n"])) == [
        {"message": "a"}, {"message": "\ufffd\ufffd junk"}]  # BOM dropped, junk kept


def test_sniff_takes_access_logs_and_nothing_else() -> None:
    assert sniffers("clf-access.log") == ["clf"]
    assert sniffers("clf-access.log", "s3://bucket/logs/access_log.1.gz") == ["clf"]
    head = raw_lines("clf-access.log")
    detected = detect("/var/log/nginx/access.log", head)
    assert detected is not None and detected.name == "clf"
    for other in ("alb.log", "classic-elb.log", "cloudfront.log", "syslog-3164.log",
                  "syslog-5424.log", *OTHER_SAMPLES):
        assert not CLF.sniff("access.log", raw_lines(other)), other
    assert not CLF.sniff("access.log", [])


@pytest.mark.parametrize("name", ["alb", "cloudfront", "syslog", "clf"])
def test_the_node_installs_each_pipeline_and_template(es: httpx.Client, name: str) -> None:
    parser = PARSERS[name]
    pipeline = es.get(f"/_ingest/pipeline/loghaven-{name}").json()[f"loghaven-{name}"]
    assert pipeline["_meta"] == {"managed_by": "loghaven", "parser": name}
    assert pipeline["description"] == parser.pipeline["description"]
    found = es.get(f"/_index_template/loghaven-{name}").json()["index_templates"]
    template = found[0]["index_template"]
    assert template["index_patterns"] == [f"{parser.index}-*"] and template["priority"] == 10
    assert template["template"]["settings"]["index"]["default_pipeline"] == f"loghaven-{name}"
    assert template["_meta"]["managed_by"] == "loghaven"
    assert parser.rotation == "OneDay"
    assert list(PARSERS).index(name) <= list(PARSERS).index("clf")  # clf sniffs last


def test_access_lines_become_ecs_fields_over_http(es: httpx.Client) -> None:
    docs = load(es, "weblogs-2026-11-26", records("clf", "clf-access.log"))
    common, combined, no_size, ipv6, host, junk, health, garbage = docs
    assert common["@timestamp"] == "2000-10-10T20:55:36.000Z"
    assert common["source"] == {"address": "127.0.0.1", "ip": "127.0.0.1"}  # private: no geo
    assert common["user"]["name"] == "frank"
    assert common["http"] == {"request": {"method": "GET"}, "version": "1.0",
                              "response": {"status_code": 200, "body": {"bytes": 2326}}}
    assert common["event"]["original"].startswith("127.0.0.1 - frank [")
    assert "error" not in common and "message" not in common

    assert combined["source"]["geo"]["country_iso_code"] == "GB"
    assert combined["url"] == {"original": "/index.html?q=a%20b&x=1", "path": "/index.html",
                               "query": "q=a%20b&x=1"}
    assert combined["http"]["request"]["referrer"] == "https://example.com/start"
    assert combined["user_agent"]["name"] == "Firefox"
    assert combined["user_agent"]["os"]["name"] == "Linux"

    assert no_size["http"]["response"] == {"status_code": 304}  # "-" size: no bytes
    assert "referrer" not in no_size["http"]["request"]
    assert no_size["source"]["geo"]["country_iso_code"] == "US"

    assert ipv6["source"]["ip"] == "2001:db8:85a3::8a2e:370:7334"
    assert ipv6["@timestamp"] == "2026-11-26T10:15:33.000Z"
    assert ipv6["user"]["name"] == "alice"
    assert ipv6["user_agent"]["original"] == 'curl/8.5.0 "quoted" agent \\ end'
    assert ipv6["user_agent"]["name"] == "curl"

    assert host["source"] == {"address": "crawler.example.org"}
    assert host["http"]["request"] == {"line": "-"}
    assert "user_agent" not in host
    assert junk["http"]["request"]["line"].startswith("\\x16\\x03")
    assert junk["http"]["response"]["status_code"] == 400 and "error" not in junk
    assert health["http"]["response"] == {"status_code": 500}

    assert garbage["event"] == {"original": "this is not an access log line",
                                "kind": "pipeline_error"}
    assert "do not match" in garbage["error"]["message"]

    types = field_types(es, "weblogs-2026-11-26")
    assert types["@timestamp"] == "date" and types["source.ip"] == "ip"
    assert types["http.response.status_code"] == "long"
    assert types["http.response.body.bytes"] == "long"
    assert types["source.geo.country_iso_code"] == "keyword"
    assert types["url.path"] == "keyword" and types["user_agent.name"] == "keyword"

    assert terms(es, "weblogs-2026-11-26", "http.response.status_code") == {
        200: 2, 400: 2, 304: 1, 201: 1, 500: 1}
    assert terms(es, "weblogs-2026-11-26", "source.geo.country_iso_code") == {"GB": 2, "US": 1}
    in_range = search(es, "weblogs-2026-11-26", {"query": {"range": {"@timestamp": {
        "gte": "2026-11-26T10:15:00Z", "lt": "2026-11-26T10:16:00Z"}}}})
    assert in_range["hits"]["total"]["value"] == 3
    bytes_sum = search(es, "weblogs-2026-11-26", {"size": 0, "aggs": {
        "b": {"sum": {"field": "http.response.body.bytes"}}}})
    assert bytes_sum["aggregations"]["b"]["value"] == 2326 + 1043 + 12 + 0 + 157


def test_bulk_with_the_pipeline_named_parses_the_same(es: httpx.Client) -> None:
    line = records("clf", "clf-access.log")[1]
    response = es.put("/web-plain/_doc/1?pipeline=loghaven-clf&refresh=true", json=line)
    assert response.status_code == 201, response.text
    stored = es.get("/web-plain/_doc/1").json()["_source"]
    assert stored["http"]["response"]["status_code"] == 200
    assert stored["source"]["ip"] == "81.2.69.160"


def test_a_large_bulk_parses_the_same_in_the_ingest_workers(es: httpx.Client) -> None:
    lines = [records("clf", "clf-access.log")[i % 8] for i in range(80)]  # >= 64: workers
    docs = load(es, "weblogs-2026-11-28", lines)
    assert [doc["event"]["original"] for doc in docs] == [line["message"] for line in lines]
    assert docs[9]["source"]["geo"]["country_iso_code"] == "GB"
    assert docs[11]["user_agent"]["original"] == 'curl/8.5.0 "quoted" agent \\ end'
    assert terms(es, "weblogs-2026-11-28", "http.response.status_code")[200] == 20
