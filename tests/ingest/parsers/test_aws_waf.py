"""The ``aws-waf`` parser: its records and sniff on real-looking WAF logs, and, over HTTP, the
installed pipeline and template turning the split records into ECS documents."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import httpx
import pytest
from parserkit import (
    FOREIGN,
    bulk_records,
    count,
    field_types,
    records,
    sample_lines,
    sources,
    terms,
)

from conftest import Server
from loghaven.bench.generators import waf_logs
from loghaven.ingest.parsers import PARSERS, RecordError, detect

WAF = "aws-waf.ndjson"
S3_KEY = "firehose/aws-waf-logs-prod/2026/11/26/10/aws-waf-logs-prod-1-2026-11-26-10-15-32-a1b2.gz"


def test_records_are_the_json_lines_and_a_bad_line_is_a_record_error() -> None:
    lines = sample_lines(WAF)
    docs = records("aws-waf", lines)
    assert len(docs) == 5 and all(isinstance(doc, dict) for doc in docs)
    assert docs[0]["httpRequest"]["clientIp"] == "81.2.69.160"
    truncated = [lines[0], b"\n", lines[1][:200] + b"\n", b"[1, 2]\n", lines[2]]
    split = records("aws-waf", truncated)
    assert [type(doc) for doc in split] == [dict, RecordError, RecordError, dict]
    assert split[1].line == 3 and "invalid JSON" in split[1].reason
    assert split[2].line == 4 and split[2].reason == "expected a JSON object"


def test_sniff_by_content_and_by_s3_key() -> None:
    waf = PARSERS["aws-waf"]
    head = gzip.decompress(gzip.compress(b"".join(sample_lines(WAF)))).splitlines(True)
    assert waf.sniff("-", head) and waf.sniff(S3_KEY, head)
    assert detect("logs/anything.json", head) is waf
    assert waf.sniff(S3_KEY, []) and not waf.sniff("logs/app.ndjson", [])
    for name, lines in FOREIGN.items():
        assert not waf.sniff("logs/x.log", lines), name
    # a CloudTrail envelope is not WAF, whatever the key says
    assert not waf.sniff(S3_KEY, [b'{"Records": [{"eventVersion": "1.08"}]}\n'])


def test_node_installs_pipeline_and_template(es: httpx.Client) -> None:
    pipeline = es.get("/_ingest/pipeline/loghaven-aws-waf")
    assert pipeline.status_code == 200
    body = pipeline.json()["loghaven-aws-waf"]
    assert body["_meta"] == {"managed_by": "loghaven"} and body["description"]
    template = es.get("/_index_template/loghaven-aws-waf").json()["index_templates"][0]
    assert template["index_template"]["index_patterns"] == ["awswaf-*"]
    assert template["index_template"]["priority"] == 10
    assert template["index_template"]["template"]["settings"]["index"][
        "default_pipeline"] == "loghaven-aws-waf"


@pytest.fixture(scope="module")
def waf_index(es_module: httpx.Client) -> str:
    bulk_records(es_module, "awswaf-2026-11-26", records("aws-waf", sample_lines(WAF)))
    return "awswaf-2026-11-26"


@pytest.fixture(scope="module")
def es_module(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def test_indexed_documents_have_ecs_fields(es_module: httpx.Client, waf_index: str) -> None:
    docs = sources(es_module, waf_index)
    first, allowed, rate, captcha, classic = docs
    assert first["@timestamp"] == "2026-11-26T10:15:32.000Z" and "timestamp" not in first
    assert first["source"]["ip"] == "81.2.69.160"
    assert first["source"]["geo"]["country_iso_code"] == "GB"
    assert first["source"]["as"]["organization"]["name"]
    assert first["event"]["action"] == "BLOCK" and first["event"]["type"] == ["access", "denied"]
    assert first["rule"] == {"id": "AWS-AWSManagedRulesSQLiRuleSet",
                             "name": "AWS-AWSManagedRulesSQLiRuleSet", "ruleset": "prod-web"}
    assert first["cloud"]["account"]["id"] == "123456789012"
    assert first["cloud"]["region"] == "us-east-1"
    assert first["url"] == {"path": "/api/v1/users", "query": "id=1%27%20OR%201=1--",
                            "domain": "shop.example.com"}
    assert first["http"]["request"]["method"] == "GET" and first["http"]["version"] == "1.1"
    assert first["aws"]["waf"]["labels"] == [
        "awswaf:managed:aws:sql-database:SQLi_QueryArguments"]
    assert first["aws"]["waf"]["rule_group_list"][0]["terminatingRule"]["ruleId"] == \
        "SQLi_QUERYARGUMENTS"
    assert first["tls"]["client"]["ja3"] == "3fed133de60c35724739b913924b6c24"
    assert "httpRequest" not in first and "http" not in first["aws"]["waf"]
    assert first["aws"]["waf"]["request"]["headers"][0] == {"name": "Host",
                                                            "value": "shop.example.com"}
    # HTTP/2 lowercase header names
    assert allowed["user_agent"]["name"] == "Firefox" and allowed["http"]["version"] == "2.0"
    assert allowed["url"]["domain"] == "www.example.com"
    # IPv6 client, no User-Agent header, empty args, a response code sent
    assert rate["source"]["ip"] == "2a02:cf40::1" and rate["source"]["geo"]
    assert "user_agent" not in rate and "query" not in rate["url"]
    assert rate["http"]["response"]["status_code"] == 429
    assert rate["aws"]["waf"]["rate_based_rule_list"][0]["maxRateAllowed"] == 100
    # a private address: no geo, and no failure
    assert "geo" not in captcha["source"] and "error" not in captcha
    assert captcha["event"]["action"] == "CAPTCHA"
    assert captcha["aws"]["waf"]["captcha_response"]["failureReason"] == "TOKEN_MISSING"
    # WAF classic: a bare web ACL id, fewer fields
    assert classic["aws"]["waf"]["web_acl_id"] == "385cb038-3a6f-4f2f-ac64-09ab912af590"
    assert "ruleset" not in classic["rule"] and "account" not in classic["cloud"]
    assert classic["url"]["domain"] == "localhost"
    assert all("error" not in doc for doc in docs)


def test_mapping_types_and_queries(es_module: httpx.Client, waf_index: str) -> None:
    types = field_types(es_module, waf_index)
    assert types["@timestamp"] == "date" and types["source.ip"] == "ip"
    for field in ("event.action", "rule.id", "url.path", "source.geo.country_iso_code",
                  "aws.waf.country", "aws.waf.labels", "user_agent.name",
                  "aws.waf.request.headers.name"):
        assert types[field] == "keyword", field
    assert types["aws.waf.captcha_response"] == "flattened"
    assert terms(es_module, waf_index, "source.geo.country_iso_code") == {
        "GB": 1, "SE": 1, "DK": 1, "CN": 1}
    assert terms(es_module, waf_index, "event.action") == {"BLOCK": 2, "ALLOW": 2,
                                                           "CAPTCHA": 1}
    assert count(es_module, waf_index, {"range": {"@timestamp": {
        "gte": "2026-11-26T11:00:00Z", "lt": "2026-11-26T12:30:00Z"}}}) == 2
    assert count(es_module, waf_index, {"term": {"source.ip": "2a02:cf40::/32"}}) == 1
    assert count(es_module, waf_index, {"bool": {"filter": [
        {"term": {"event.action": "ALLOW"}}, {"term": {"url.query": "name=badname"}}]}}) == 1
    assert count(es_module, waf_index, {"term": {"aws.waf.request.headers.value":
                                                 "ella"}}) == 1


def test_a_large_bulk_runs_the_pipeline_in_the_ingest_workers(es_module: httpx.Client) -> None:
    """The benchmark's WAF records, enough (64+) for the bulk to go to the worker processes,
    come out as the in-process run makes them."""
    docs = list(waf_logs(80, seed=16))
    bulk_records(es_module, "awswaf-2026-11-27", docs)
    indexed = sources(es_module, "awswaf-2026-11-27")
    assert len(indexed) == 80 and all("error" not in doc for doc in indexed)
    assert all(doc["source"]["ip"] and doc["user_agent"]["original"] for doc in indexed)
    assert all(doc["rule"]["ruleset"] in ("prod-web", "owasp-top10", "api-gw")
               for doc in indexed)
    blocked = count(es_module, "awswaf-2026-11-27", {"term": {"event.action": "BLOCK"}})
    assert blocked == sum(doc["action"] == "BLOCK" for doc in waf_logs(80, seed=16))
    simulated = es_module.post("/_ingest/pipeline/loghaven-aws-waf/_simulate", json={
        "docs": [{"_source": doc} for doc in waf_logs(80, seed=16)]}).json()["docs"]
    by_id = {doc["http"]["request"]["id"]: doc for doc in indexed}
    for result in simulated:
        source = result["doc"]["_source"]
        assert by_id[source["http"]["request"]["id"]] == source
