"""The ``vpcflow`` parser: default and custom formats split by the file's header, ``-``
fields, NODATA/SKIPDATA records, and bare lines split by the pipeline; over HTTP, the indexed
flows and ``_simulate`` on a line."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from parserkit import (
    FOREIGN,
    SAMPLES,
    bulk_records,
    count,
    field_types,
    records,
    sample_lines,
    sources,
    terms,
)

from conftest import Server
from loghaven.ingest.parsers import PARSERS, RecordError, detect

KEY = ("AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/26/"
       "123456789012_vpcflowlogs_us-east-1_fl-0123456789abcdef0_20261126T1100Z_1a2b3c4d.log.gz")
LINE = ("2 123456789012 eni-0a1b2c3d4e5f67890 81.2.69.160 172.31.16.139 20641 22 6 20 4249 "
        "1795690800 1795690860 ACCEPT OK")


def test_default_format_with_header() -> None:
    docs = records("vpcflow", sample_lines("vpcflow-default.log"))
    assert len(docs) == 7
    assert docs[0] == {"version": "2", "account-id": "123456789012",
                       "interface-id": "eni-0a1b2c3d4e5f67890", "srcaddr": "81.2.69.160",
                       "dstaddr": "172.31.16.139", "srcport": "20641", "dstport": "22",
                       "protocol": "6", "packets": "20", "bytes": "4249",
                       "start": "1795690800", "end": "1795690860", "action": "ACCEPT",
                       "log-status": "OK"}
    # NODATA: the fields that do not apply ("-") are left out
    assert docs[5] == {"version": "2", "account-id": "123456789012",
                       "interface-id": "eni-1235b8ca123456789", "start": "1795690900",
                       "end": "1795690960", "log-status": "NODATA"}


def test_custom_format_and_bad_lines() -> None:
    lines = sample_lines("vpcflow-custom.log")
    docs = records("vpcflow", lines)
    assert len(docs) == 3
    assert docs[0]["pkt-src-aws-service"] == "S3" and docs[0]["flow-direction"] == "ingress"
    assert docs[0]["tcp-flags"] == "19" and "traffic-path" not in docs[0]
    assert "srcport" not in docs[2] and "instance-id" not in docs[2]
    broken = records("vpcflow", [lines[0], b"5 1.2.3.4 5.6.7.8\n", lines[1]])
    assert isinstance(broken[0], RecordError) and broken[0].line == 2
    assert "expected 29 fields" in broken[0].reason and isinstance(broken[1], dict)
    # no header (e.g. lines copied out of CloudWatch): each line is a message
    assert records("vpcflow", [LINE.encode() + b"\n", b"\n"]) == [{"message": LINE}]


def test_sniff() -> None:
    flow = PARSERS["vpcflow"]
    for sample in ("vpcflow-default.log", "vpcflow-custom.log"):
        assert flow.sniff("-", sample_lines(sample)[:5]), sample
        assert detect("x.log", sample_lines(sample)[:5]) is flow
    assert flow.sniff("-", [LINE.encode() + b"\n"]) and flow.sniff(KEY, [])
    assert flow.sniff("-", [b"vpc-id subnet-id srcaddr\n"])  # a header of known names
    assert not flow.sniff("-", [b"vpc-0abc subnet-0def ingress\n"])
    for name, foreign in FOREIGN.items():
        assert not flow.sniff("logs/x.log", foreign), name
    waf = (SAMPLES / "aws-waf.ndjson").read_bytes().splitlines(True)
    assert not flow.sniff("-", waf)
    for other in ("aws-waf", "cloudtrail", "cloudwatch-logs"):
        assert not PARSERS[other].sniff("-", sample_lines("vpcflow-default.log")), other


@pytest.fixture(scope="module")
def flows(server: Server) -> Iterator[tuple[httpx.Client, str]]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        docs = records("vpcflow", sample_lines("vpcflow-default.log")) \
            + records("vpcflow", sample_lines("vpcflow-custom.log")) + [{"message": LINE}]
        bulk_records(client, "vpcflow-2026-11-26", docs)
        yield client, "vpcflow-2026-11-26"


def test_indexed_flows(flows: tuple[httpx.Client, str]) -> None:
    es, index = flows
    docs = sources(es, index, sort="event.start")
    assert len(docs) == 11 and all("error" not in doc for doc in docs)
    ssh, bare = [doc for doc in docs if doc.get("destination", {}).get("port") == 22]
    assert ssh["@timestamp"] == ssh["event"]["start"] == "2026-11-26T11:00:00.000Z"
    assert ssh["event"]["end"] == "2026-11-26T11:01:00.000Z"
    assert ssh["source"]["ip"] == "81.2.69.160" and ssh["source"]["port"] == 20641
    assert ssh["source"]["geo"]["country_iso_code"] == "GB"
    assert ssh["destination"] == {"address": "172.31.16.139", "ip": "172.31.16.139",
                                  "port": 22}  # private: no geo, no failure
    assert ssh["network"] == {"iana_number": "6", "transport": "tcp", "packets": 20,
                              "bytes": 4249}
    assert ssh["event"]["action"] == "ACCEPT" and ssh["event"]["outcome"] == "success"
    assert ssh["cloud"]["account"]["id"] == "123456789012"
    assert ssh["aws"]["vpcflow"] == {"version": "2", "interface_id": "eni-0a1b2c3d4e5f67890",
                                     "log_status": "OK"}
    # the bare line, split by the pipeline, gives the same document
    assert bare == ssh and "message" not in bare
    statuses = {doc["aws"]["vpcflow"]["log_status"]: doc for doc in docs}
    nodata = statuses["NODATA"]
    assert nodata["event"]["outcome"] == "unknown" and "source" not in nodata
    assert "network" not in nodata and "action" not in nodata["event"]
    custom = next(doc for doc in docs if doc["aws"]["vpcflow"].get("pkt_src_aws_service"))
    assert custom["network"]["direction"] == "ingress" and custom["network"]["type"] == "ipv4"
    assert custom["cloud"]["region"] == "ap-southeast-2"
    assert custom["cloud"]["instance"]["id"] == "i-0c50d5961bcb2d47b"
    assert custom["aws"]["vpcflow"]["tcp_flags"] == 19
    assert custom["aws"]["vpcflow"]["pkt_srcaddr"] == "52.95.128.179"
    types = field_types(es, index)
    for field in ("@timestamp", "event.start", "event.end"):
        assert types[field] == "date", field
    for field in ("source.ip", "destination.ip", "aws.vpcflow.pkt_srcaddr"):
        assert types[field] == "ip", field
    for field in ("source.port", "network.bytes", "aws.vpcflow.tcp_flags"):
        assert types[field] == "long", field
    assert types["network.transport"] == types["event.action"] == "keyword"
    assert terms(es, index, "network.transport") == {"tcp": 6, "icmp": 2, "udp": 1}
    assert terms(es, index, "event.outcome") == {"success": 6, "failure": 3, "unknown": 2}
    assert terms(es, index, "source.geo.country_iso_code") == {"GB": 2, "SE": 1, "DK": 1,
                                                               "AU": 1}
    assert count(es, index, {"range": {"@timestamp": {"gte": "2026-11-26T11:05:00Z"}}}) == 3
    assert count(es, index, {"term": {"destination.ip": "2001:db8::/32"}}) == 1
    assert count(es, index, {"range": {"network.bytes": {"gte": 5000}}}) == 2


def test_simulate_a_bare_line(es: httpx.Client) -> None:
    response = es.post("/_ingest/pipeline/loghaven-vpcflow/_simulate", json={"docs": [
        {"_source": {"message": LINE}},
        {"_source": {"message": "2 123456789012 eni-1235b8ca123456789 - - - - - - - "
                                "1795690900 1795690960 - NODATA"}},
        {"_source": {"message": "not a flow log line"}}]})
    assert response.status_code == 200, response.text
    first, nodata, bad = (doc["doc"]["_source"] for doc in response.json()["docs"])
    assert first["source"]["ip"] == "81.2.69.160" and first["destination"]["port"] == 22
    assert first["event"]["start"] == "2026-11-26T11:00:00.000Z"
    assert nodata["aws"]["vpcflow"]["log_status"] == "NODATA" and "source" not in nodata
    assert bad["error"]["message"].startswith("Unable to find match for dissect pattern")
