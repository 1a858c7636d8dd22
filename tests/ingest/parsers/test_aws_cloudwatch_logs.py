"""The ``cloudwatch-logs`` parser: Firehose's concatenated gzip subscription payloads (control
messages, several log groups, a broken payload between good ones) and, over HTTP, one
document per log event."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import httpx
import orjson
import pytest
from parserkit import FOREIGN, SAMPLES, bulk_records, count, field_types, records, sources, terms

from conftest import Server
from loghaven.ingest.parsers import PARSERS, RecordError, detect

FIREHOSE_KEY = "cwl/2026/11/26/10/to-firehose-1-2026-11-26-10-15-00-0a1b2c3d-4e5f"


def payloads() -> bytes:
    """The S3 object as gzip reads it: three members, so three JSON objects end to end."""
    return gzip.decompress((SAMPLES / "cloudwatch-logs-firehose").read_bytes())


def test_concatenated_payloads_give_one_record_per_log_event() -> None:
    text = payloads()
    assert b"}{" in text and b"\n" not in text.strip()
    docs = records("cloudwatch-logs", [text])
    assert len(docs) == 5 and all(isinstance(doc, dict) for doc in docs)
    assert docs[0]["message"].startswith("START RequestId")
    assert docs[0]["logGroup"] == "/aws/lambda/ship-logs" and docs[0]["owner"] == "123456789012"
    assert docs[0]["subscriptionFilters"] == ["to-firehose"]
    assert docs[3]["logGroup"] == "vpc-flow-logs" and docs[3]["timestamp"] == 1795690800000
    # the same payloads one per line, as Firehose writes them with a newline delimiter
    lines = [orjson.dumps(orjson.loads(member)) + b"\n" for member in _members()]
    assert records("cloudwatch-logs", lines) == docs


def _members() -> list[bytes]:
    raw = (SAMPLES / "cloudwatch-logs-firehose").read_bytes()
    starts = [i for i in range(len(raw) - 1) if raw[i:i + 3] == b"\x1f\x8b\x08"]
    return [gzip.decompress(raw[a:b]) for a, b in zip(starts, [*starts[1:], len(raw)],
                                                      strict=True)]


def test_control_messages_give_nothing_and_a_broken_payload_is_skipped() -> None:
    control, first, second = _members()
    assert records("cloudwatch-logs", [control]) == []
    broken = records("cloudwatch-logs", [first, b"\n", first[:120], second])
    assert [type(doc) for doc in broken] == [dict] * 3 + [RecordError] + [dict] * 2
    assert broken[3].reason.startswith("invalid CloudWatch Logs payload")
    assert broken[3].line == 2
    truncated = records("cloudwatch-logs", [first[: len(first) - 5]])
    assert len(truncated) == 1 and isinstance(truncated[0], RecordError)
    other = records("cloudwatch-logs", [b'{"messageType": "DATA_MESSAGE"}'])
    assert other == [RecordError("not a CloudWatch Logs payload: no [logEvents] list", 1)]


def test_sniff() -> None:
    cwl = PARSERS["cloudwatch-logs"]
    head = payloads().splitlines(True)
    assert cwl.sniff(FIREHOSE_KEY, head) and detect("-", head) is cwl
    waf = (SAMPLES / "aws-waf.ndjson").read_bytes().splitlines(True)
    trail = gzip.decompress((SAMPLES / "cloudtrail.json.gz").read_bytes()).splitlines(True)
    assert not cwl.sniff("-", waf) and not cwl.sniff("-", trail)
    assert not PARSERS["aws-waf"].sniff("-", head) and not PARSERS["cloudtrail"].sniff("-", head)
    for name, foreign in FOREIGN.items():
        assert not cwl.sniff("logs/x.log", foreign), name


@pytest.fixture(scope="module")
def cwl(server: Server) -> Iterator[tuple[httpx.Client, str]]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        bulk_records(client, "cloudwatch-logs-2026-11-26", records("cloudwatch-logs",
                                                                   [payloads()]))
        yield client, "cloudwatch-logs-2026-11-26"


def test_indexed_log_events(cwl: tuple[httpx.Client, str]) -> None:
    es, index = cwl
    start, error, report, flow, array = sources(es, index)
    assert start["@timestamp"] == "2026-11-26T10:15:00.000Z"
    assert start["cloud"]["account"]["id"] == "123456789012"
    assert start["aws"]["cloudwatch"] == {
        "log_group": "/aws/lambda/ship-logs",
        "log_stream": "2026/11/26/[$LATEST]0123456789abcdef0123456789abcdef",
        "subscription_filters": ["to-firehose"]}
    assert start["event"]["id"].endswith("000") and "message" not in start["aws"]["cloudwatch"]
    assert error["aws"]["cloudwatch"]["message"] == {
        "level": "ERROR", "msg": "bulk failed", "status": 429, "index": "awswaf-2026-11-26"}
    assert error["message"].startswith('{"level"')
    assert "message" not in array["aws"]["cloudwatch"] and "error" not in array
    assert flow["message"].endswith("REJECT OK") and "error" not in report
    types = field_types(es, index)
    assert types["@timestamp"] == "date" and types["message"] == "text"
    assert types["aws.cloudwatch.log_group"] == "keyword"
    assert types["aws.cloudwatch.message"] == "flattened"
    assert terms(es, index, "aws.cloudwatch.log_group") == {"/aws/lambda/ship-logs": 3,
                                                            "vpc-flow-logs": 2}
    assert count(es, index, {"match": {"message": "Billed Duration"}}) == 1
    assert count(es, index, {"range": {"@timestamp": {"gte": "2026-11-26T11:00:00Z"}}}) == 2
