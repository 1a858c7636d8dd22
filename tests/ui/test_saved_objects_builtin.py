"""The built-in AWS WAF and PCI-DSS dashboards: OpenSearch Dashboards' formats, references
that resolve, fields the parsers write, queries that find the events they are about, and
an install that keeps a user's edit and restores a deleted object at restart."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from conftest import Server
from loghaven.dashboards import builtin
from loghaven.dashboards.objects import VISUALIZATION_TYPES, SavedObject
from loghaven.ingest.parsers import PARSERS

BASE = "/_dashboards/api/saved_objects"
XSRF = {"osd-xsrf": "true"}
SCHEMAS = {"metric", "segment", "group", "split", "bucket", "radius"}
WAF_SAMPLE = Path(__file__).parent.parent / "ingest" / "parsers" / "samples" / "aws-waf.ndjson"
#: Each built-in object's parser (by its index pattern's id).
PARSER_OF = {"loghaven-aws-waf": "aws-waf", "loghaven-cloudtrail": "cloudtrail"}


def objects() -> list[SavedObject]:
    return builtin.objects()


def mapped_fields(parser: str) -> set[str]:
    """The dotted field paths a parser's index template maps."""
    out: set[str] = set()

    def walk(properties: dict[str, Any], prefix: str) -> None:
        for name, spec in properties.items():
            if "properties" in spec:
                walk(spec["properties"], f"{prefix}{name}.")
            if "type" in spec:
                out.add(prefix + name)

    walk(PARSERS[parser].template["template"]["mappings"]["properties"], "")
    return out


def pattern_of(found: SavedObject) -> str:
    return next(r["id"] for r in found.references
                if r["name"] == "kibanaSavedObjectMeta.searchSourceJSON.index")


def query_of(found: SavedObject) -> str:
    source = json.loads(found.attributes["kibanaSavedObjectMeta"]["searchSourceJSON"])
    assert source["query"]["language"] == "lucene"
    return source["query"]["query"]


def test_formats_and_fields() -> None:
    found = objects()
    ids = {(o.type, o.id) for o in found}
    assert len(ids) == len(found) == 21
    patterns = {o.id: o for o in found if o.type == "index-pattern"}
    assert {p.attributes["title"] for p in patterns.values()} == {"awswaf-*", "cloudtrail-*"}
    for pattern in patterns.values():  # the parser's template covers the pattern
        template = PARSERS[PARSER_OF[pattern.id]].template
        assert template["index_patterns"] == [pattern.attributes["title"]]
        assert pattern.attributes["timeFieldName"] == "@timestamp"
    kinds: set[str] = set()
    for one in found:
        if one.type in ("visualization", "search"):
            source = json.loads(one.attributes["kibanaSavedObjectMeta"]["searchSourceJSON"])
            assert source["indexRefName"] == "kibanaSavedObjectMeta.searchSourceJSON.index"
            fields = mapped_fields(PARSER_OF[pattern_of(one)])
            for name in re.findall(r"([A-Za-z_@][\w.@]*):", query_of(one)):
                assert name in fields, (one.id, name)
        if one.type == "search":
            assert set(one.attributes["columns"]) <= mapped_fields(PARSER_OF[pattern_of(one)])
        if one.type == "visualization":
            state = json.loads(one.attributes["visState"])
            assert state["type"] in VISUALIZATION_TYPES and state["title"] == one.title
            kinds.add(state["type"])
            fields = mapped_fields(PARSER_OF[pattern_of(one)])
            for agg in state["aggs"]:
                assert set(agg) == {"id", "enabled", "type", "schema", "params"}, one.id
                assert agg["schema"] in SCHEMAS and agg["enabled"] is True
                if "field" in agg["params"]:
                    assert agg["params"]["field"] in fields, (one.id, agg)
            assert [a["schema"] for a in state["aggs"]].count("metric") == 1
        if one.type == "dashboard":
            panels = json.loads(one.attributes["panelsJSON"])
            names = {r["name"] for r in one.references}
            assert [p["panelRefName"] for p in panels] == [f"panel_{n}"
                                                           for n in range(len(panels))]
            assert {p["panelRefName"] for p in panels} == names
            for panel in panels:
                grid = panel["gridData"]
                assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 48 and grid["h"] > 0
    assert {"area", "horizontal_bar", "region_map", "pie", "table", "metric", "histogram",
            "line", "heatmap", "tagcloud"} <= kinds
    waf = next(o for o in found if o.id == "loghaven-aws-waf-top-client-ips")
    aggs = json.loads(waf.attributes["visState"])["aggs"]
    assert [(a["type"], a["schema"], a["params"].get("field")) for a in aggs] == [
        ("count", "metric", None), ("terms", "segment", "source.ip"),
        ("terms", "group", "event.action")]  # the seed's chart
    pci = next(o for o in found if o.id == "loghaven-pci-dss-dashboard")
    assert len(pci.references) == 10


def test_installed_and_every_reference_resolves(es: httpx.Client) -> None:
    for one in objects():
        got = es.get(f"{BASE}/{one.type}/{one.id}")
        assert got.status_code == 200, (one.id, got.text)
        for ref in got.json()["references"]:
            assert es.get(f"{BASE}/{ref['type']}/{ref['id']}").status_code == 200, ref
    dashboards = es.get(f"{BASE}/_find", params={"type": "dashboard", "search": "WAF"}).json()
    assert "AWS WAF" in [o["attributes"]["title"] for o in dashboards["saved_objects"]]


def test_install_keeps_edits_and_restores_deleted_objects(fresh_server: Server) -> None:
    dashboard = f"{BASE}/dashboard/loghaven-aws-waf-dashboard"
    vis = f"{BASE}/visualization/loghaven-aws-waf-top-uris"
    with httpx.Client(base_url=fresh_server.url, timeout=30) as es:
        edited = es.put(dashboard, headers=XSRF,
                        json={"attributes": {"title": "Our WAF", "timeFrom": "now-7d"}})
        assert edited.status_code == 200
        assert es.delete(vis, headers=XSRF).status_code == 200
        assert es.get(vis).status_code == 404
    fresh_server.restart()
    with httpx.Client(base_url=fresh_server.url, timeout=30) as es:
        kept = es.get(dashboard).json()
        assert kept["attributes"]["title"] == "Our WAF"
        assert kept["attributes"]["timeFrom"] == "now-7d"
        assert kept["version"] == edited.json()["version"]  # not written again
        restored = es.get(vis)
        assert restored.status_code == 200
        assert restored.json()["attributes"]["title"] == "AWS WAF: top URIs"


def cloudtrail_event(name: str, source: str, *, read_only: bool = False,
                     identity: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"eventVersion": "1.09", "eventTime": "2026-11-26T09:15:00Z",
            "eventSource": source, "eventName": name, "awsRegion": "us-east-1",
            "sourceIPAddress": "203.0.113.10", "userAgent": "aws-cli/2.15.0",
            "userIdentity": identity or {"type": "IAMUser", "principalId": "AIDAEXAMPLE",
                                         "arn": "arn:aws:iam::123456789012:user/alice",
                                         "accountId": "123456789012", "userName": "alice"},
            "eventID": f"{name}-{source}", "readOnly": read_only, "eventType": "AwsApiCall",
            "managementEvent": True, "recipientAccountId": "123456789012", **extra}


#: One event per guideline (the search or visualization it should land in), and noise.
EVENTS = {
    "loghaven-pci-dss-root-user-actions": cloudtrail_event(
        "StartInstances", "ec2.amazonaws.com",
        identity={"type": "Root", "principalId": "123456789012",
                  "arn": "arn:aws:iam::123456789012:root", "accountId": "123456789012"}),
    "loghaven-pci-dss-failed-console-logins": cloudtrail_event(
        "ConsoleLogin", "signin.amazonaws.com", eventType="AwsConsoleSignIn",
        errorMessage="Failed authentication", responseElements={"ConsoleLogin": "Failure"}),
    "loghaven-pci-dss-rds-changes": cloudtrail_event(
        "ModifyDBInstance", "rds.amazonaws.com",
        requestParameters={"dBInstanceIdentifier": "payments"}),
    "loghaven-pci-dss-logging-changes": cloudtrail_event(
        "StopLogging", "cloudtrail.amazonaws.com", requestParameters={"name": "org-trail"}),
    "loghaven-pci-dss-log-bucket-access": cloudtrail_event(
        "GetObject", "s3.amazonaws.com", read_only=True,
        resources=[{"type": "AWS::S3::Object",
                    "ARN": "arn:aws:s3:::acme-cloudtrail-logs/AWSLogs/x.json.gz"}]),
    "loghaven-pci-dss-vpc-changes": cloudtrail_event("CreateVpc", "ec2.amazonaws.com"),
    "loghaven-pci-dss-security-group-nacl-changes": cloudtrail_event(
        "AuthorizeSecurityGroupIngress", "ec2.amazonaws.com"),
    "loghaven-pci-dss-iam-changes": cloudtrail_event("AttachRolePolicy", "iam.amazonaws.com"),
    "loghaven-pci-dss-route-table-changes": cloudtrail_event(
        "CreateRoute", "ec2.amazonaws.com"),
    "loghaven-pci-dss-subnet-changes": cloudtrail_event("DeleteSubnet", "ec2.amazonaws.com"),
}
NOISE = [cloudtrail_event("DescribeInstances", "ec2.amazonaws.com", read_only=True),
         cloudtrail_event("DescribeDBInstances", "rds.amazonaws.com", read_only=True),
         cloudtrail_event("ListUsers", "iam.amazonaws.com", read_only=True),
         cloudtrail_event("ConsoleLogin", "signin.amazonaws.com",
                          responseElements={"ConsoleLogin": "Success"})]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A server of its own holding the guidelines' events and the WAF sample, ingested
    through the parsers' default pipelines (the templates of cloudtrail-* and awswaf-*)."""
    server = Server(tmp_path_factory.mktemp("builtin") / "data").start()
    with httpx.Client(base_url=server.url, timeout=30) as es:
        body = b"".join(b'{"index":{"_index":"cloudtrail-2026.11.26"}}\n' + orjson.dumps(e)
                        + b"\n" for e in [*EVENTS.values(), *NOISE])
        body += b"".join(b'{"index":{"_index":"awswaf-2026.11.26"}}\n' + line.strip() + b"\n"
                         for line in WAF_SAMPLE.read_bytes().splitlines() if line.strip())
        answer = es.post("/_bulk?refresh=true", content=body,
                         headers={"content-type": "application/x-ndjson"})
        assert answer.status_code == 200 and answer.json()["errors"] is False, answer.text
        yield es
    server.stop()


def hits(es: httpx.Client, pattern: str, query: str) -> list[dict[str, Any]]:
    response = es.post(f"/{pattern}/_search", json={
        "size": 100, "query": {"query_string": {"query": query}} if query else {"match_all": {}}})
    assert response.status_code == 200, response.text
    return [h["_source"] for h in response.json()["hits"]["hits"]]


def test_each_pci_guideline_finds_its_event(loaded: httpx.Client) -> None:
    found = {o.id: o for o in objects()}
    for id_, event in EVENTS.items():
        matched = hits(loaded, "cloudtrail-*", query_of(found[id_]))
        assert [m["event"]["id"] for m in matched] == [event["eventID"]], id_


def test_waf_fields_have_values_and_the_blocked_search_finds_blocks(
        loaded: httpx.Client) -> None:
    sample = [orjson.loads(line) for line in WAF_SAMPLE.read_bytes().splitlines()
              if line.strip()]
    for one in objects():
        if one.type != "visualization" or pattern_of(one) != "loghaven-aws-waf":
            continue
        for agg in json.loads(one.attributes["visState"])["aggs"]:
            if agg["type"] != "terms":
                continue
            response = loaded.post("/awswaf-*/_search", json={"size": 0, "aggs": {
                "t": {"terms": {"field": agg["params"]["field"], "size": 50}}}})
            buckets = response.json()["aggregations"]["t"]["buckets"]
            assert sum(b["doc_count"] for b in buckets) == len(sample), (one.id, agg)
    blocked = next(o for o in objects() if o.id == "loghaven-aws-waf-blocked-requests")
    matched = hits(loaded, "awswaf-*", query_of(blocked))
    assert len(matched) == sum(1 for r in sample if r["action"] == "BLOCK") > 0
    assert {m["event"]["action"] for m in matched} == {"BLOCK"}
