"""The ``cloudtrail`` parser: the ``Records`` envelope (gzip, pretty-printed, truncated,
digests) and, over HTTP, events whose ``requestParameters`` conflict in type indexed side by
side through the installed pipeline and template."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import httpx
import orjson
import pytest
from parserkit import FOREIGN, SAMPLES, bulk_records, count, field_types, records, sources, terms

from conftest import Server
from loghaven.ingest.parsers import PARSERS, RecordError

KEY = ("AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/26/"
       "123456789012_CloudTrail_us-east-1_20261126T0915Z_a1B2c3D4e5F6g7H8.json.gz")
DIGEST_KEY = ("AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2026/11/26/"
              "123456789012_CloudTrail-Digest_us-east-1_trail_us-east-1_20261126T100000Z.json.gz")


def lines() -> list[bytes]:
    return gzip.decompress((SAMPLES / "cloudtrail.json.gz").read_bytes()).splitlines(True)


def test_records_of_a_pretty_printed_gzip_envelope() -> None:
    text = lines()
    assert len(text) > 100  # pretty-printed over many lines
    docs = records("cloudtrail", text)
    assert [doc["eventName"] for doc in docs] == [
        "CreateUser", "ConsoleLogin", "AssumeRole", "DescribeInstances", "FilterLogEvents"]
    compact = orjson.dumps(orjson.loads(b"".join(text))) + b"\n"
    assert records("cloudtrail", [compact]) == docs


def test_truncated_or_foreign_envelopes_are_record_errors() -> None:
    text = b"".join(lines())
    truncated = records("cloudtrail", text[: len(text) // 2].splitlines(True))
    assert len(truncated) == 1 and isinstance(truncated[0], RecordError)
    assert truncated[0].reason.startswith("invalid CloudTrail log file")
    other = records("cloudtrail", [b'{"records": []}'])
    assert other == [RecordError("not a CloudTrail log file: no [Records] list", 1)]
    mixed = records("cloudtrail", [b'{"Records": [{"eventName": "A"}, 7]}'])
    assert mixed[0] == {"eventName": "A"} and isinstance(mixed[1], RecordError)
    assert records("cloudtrail", []) == [] and records("cloudtrail", [b"\n"]) == []


def test_digest_files_give_no_records() -> None:
    digest = (SAMPLES / "cloudtrail-digest.json").read_bytes().splitlines(True)
    assert PARSERS["cloudtrail"].sniff(DIGEST_KEY, digest)
    assert PARSERS["cloudtrail"].sniff("-", digest)
    assert records("cloudtrail", digest) == []


def test_sniff() -> None:
    trail = PARSERS["cloudtrail"]
    head = lines()[:40]
    assert trail.sniff("-", head) and trail.sniff(KEY, head)
    assert trail.sniff(KEY, []) and not trail.sniff("logs/x.json", [])
    # an S3 event notification shares the envelope but is not CloudTrail
    s3_event = [b'{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3",'
                b'"awsRegion":"us-east-1","eventName":"ObjectCreated:Put"}]}\n']
    assert not trail.sniff("events/notification.json", s3_event)
    waf = (SAMPLES / "aws-waf.ndjson").read_bytes().splitlines(True)
    assert not trail.sniff("-", waf) and not PARSERS["aws-waf"].sniff(KEY, head)
    for name, foreign in FOREIGN.items():
        assert not trail.sniff("logs/x.log", foreign), name


@pytest.fixture(scope="module")
def trail(server: Server) -> Iterator[tuple[httpx.Client, str]]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        bulk_records(client, "cloudtrail-2026-11-26", records("cloudtrail", lines()))
        yield client, "cloudtrail-2026-11-26"


def test_events_with_conflicting_parameters_index_together(
        trail: tuple[httpx.Client, str]) -> None:
    es, index = trail
    create, login, assume, describe, filter_logs = sources(es, index)
    assert create["@timestamp"] == "2026-11-26T09:12:45.000Z"
    assert create["event"] == {"kind": "event", "action": "CreateUser", "id": create[
        "event"]["id"], "provider": "iam.amazonaws.com", "outcome": "success"}
    assert create["user"] == {"id": "AIDAJ45Q7YFFAREXAMPLE", "name": "Alice"}
    assert create["cloud"]["account"]["id"] == "123456789012"
    assert create["source"]["geo"]["country_iso_code"] == "GB"
    assert create["user_agent"]["name"] == "aws-cli"
    assert create["aws"]["cloudtrail"]["request_parameters"] == {"userName": "Bob"}
    # a failed console sign-in: an IPv6 address, the root user, no errorCode
    assert login["event"]["outcome"] == "failure" and login["user"]["name"] == "root"
    assert login["source"]["ip"] == "2001:db8:85a3::8a2e:370:7334"
    # a call made by an AWS service: an address that is no IP
    assert assume["source"] == {"address": "lambda.amazonaws.com"}
    assert assume["aws"]["cloudtrail"]["resources"][0]["type"] == "AWS::IAM::Role"
    assert describe["user"]["name"] == "web-ec2"
    assert describe["error"]["code"] == "Client.UnauthorizedOperation"
    assert describe["event"]["outcome"] == "failure"
    assert describe["aws"]["cloudtrail"]["request_parameters"]["filterSet"]["items"]
    assert filter_logs["aws"]["cloudtrail"]["request_parameters"]["filterSet"] == "ERROR"
    assert filter_logs["aws"]["cloudtrail"]["response_elements"] == {
        "credentials": "redacted", "user": 42}
    types = field_types(es, index)
    assert types["@timestamp"] == "date" and types["source.ip"] == "ip"
    assert types["aws.cloudtrail.request_parameters"] == "flattened"
    assert types["aws.cloudtrail.response_elements"] == "flattened"
    assert types[
        "aws.cloudtrail.user_identity.sessionContext.attributes.creationDate"] == "date"
    for field in ("event.action", "event.provider", "user.name", "cloud.account.id",
                  "source.address", "aws.cloudtrail.user_identity.arn"):
        assert types[field] == "keyword", field
    assert terms(es, index, "event.outcome") == {"success": 3, "failure": 2}
    assert terms(es, index, "source.geo.country_iso_code") == {"GB": 1, "SE": 1}
    assert count(es, index, {"range": {"@timestamp": {"gte": "2026-11-26T10:00:00Z",
                                                      "lt": "2026-11-26T11:00:00Z"}}}) == 2
    assert count(es, index, {"term": {"aws.cloudtrail.read_only": True}}) == 3
