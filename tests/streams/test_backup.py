"""streams/backup.py at its contract: Firehose's object keys and prefixes, gzip, the failed-record
lines decoded back to the records, and the S3Configuration refusals; over a local folder, and
once over a real S3 server (SeaweedFS)."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import re
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import S3Store

from loghaven.storage.objects import LocalObjectStore, ObjectStore, ObjectStoreError, S3ObjectStore
from loghaven.streams.backup import (
    ELASTICSEARCH_FAILED,
    PROCESSING_FAILED,
    SPLUNK_FAILED,
    Backup,
    FailedRecord,
    check_s3_configuration,
)
from loghaven.streams.errors import FirehoseError

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def ms(*when: int) -> int:
    return int(dt.datetime(*when, tzinfo=dt.UTC).timestamp() * 1000)  # type: ignore[misc]


ARRIVED = ms(2026, 12, 4, 9, 59, 58)
NOW = ms(2026, 12, 4, 10, 30, 5)
NAME = rf"waf-1-2026-12-04-10-30-05-{UUID}"


def backup(store: ObjectStore, **configuration: Any) -> Backup:
    return Backup(store, {"BucketARN": "arn:aws:s3:::backups", **configuration},
                  stream_name="waf", version_id="1")


def failed(raw: bytes, **extra: Any) -> FailedRecord:
    return FailedRecord(attempts=3, arrival_ms=ARRIVED, error_code="400",
                        error_message="mapper_parsing_exception", ending_ms=NOW, raw=raw,
                        extra=extra)


@pytest.fixture
def store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "buckets")


def test_default_layout(store: LocalObjectStore, tmp_path: Path) -> None:
    records = [b'{"a":1}\n', b'{"b":2}', b"\x00binary\xff"]
    key = backup(store).write_records(records, NOW, arrival_ms=ARRIVED)
    # The prefix is the oldest record's arrival hour, the name the time of writing.
    assert re.fullmatch(rf"2026/12/04/09/{NAME}", key), key
    assert store.get("backups", key) == b"".join(records)  # concatenated, no delimiters
    assert (tmp_path / "buckets/backups" / key).is_file()

    key = backup(store).write_failed([failed(b"doc")], ELASTICSEARCH_FAILED, NOW)
    assert re.fullmatch(rf"elasticsearch-failed/2026/12/04/09/{NAME}", key), key
    # Without arrival_ms the prefix's time is the time of writing.
    assert backup(store).write_records([b"x"], NOW).startswith("2026/12/04/10/waf-1-")


def test_prefix_without_expressions(store: LocalObjectStore) -> None:
    backups = backup(store, Prefix="waf/")
    assert re.fullmatch(rf"waf/2026/12/04/09/{NAME}",
                        backups.write_records([b"x"], NOW, arrival_ms=ARRIVED))
    assert re.fullmatch(rf"waf/splunk-failed/2026/12/04/09/{NAME}",
                        backups.write_failed([failed(b"x")], SPLUNK_FAILED, NOW))
    # Firehose adds no slash after a prefix: "logs" gives "logs2026/...".
    assert backup(store, Prefix="logs").write_records([b"x"], NOW).startswith("logs2026/12/04/")


def test_prefix_expressions(store: LocalObjectStore) -> None:
    backups = backup(
        store, Prefix="logs/year=!{timestamp:yyyy}/month=!{timestamp:MM}/"
                      "r=!{firehose:random-string}/",
        ErrorOutputPrefix="errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/")
    first = backups.write_records([b"x"], NOW, arrival_ms=ARRIVED)
    second = backups.write_records([b"y"], NOW, arrival_ms=ARRIVED)
    pattern = rf"logs/year=2026/month=12/r=([0-9a-f-]{{11}})/{NAME}"
    assert re.fullmatch(pattern, first) and re.fullmatch(pattern, second)
    assert re.fullmatch(pattern, first).group(1) != re.fullmatch(pattern, second).group(1)
    assert re.fullmatch(rf"errors/processing-failed/2026/12/04/{NAME}",
                        backups.write_failed([failed(b"x")], PROCESSING_FAILED, NOW))

    # Firehose's documented example: quoted text is literal.
    quoted = backup(store, Prefix="myPrefix/",
                    ErrorOutputPrefix="myErrorPrefix/!{timestamp:'year='yyyy'/month='MM'/day='"
                                      "dd'/hour='HH}/!{firehose:error-output-type}")
    assert re.fullmatch(rf"myErrorPrefix/year=2018/month=07/day=06/hour=23/processing-failed"
                        rf"waf-1-2026-12-04-10-30-05-{UUID}",
                        quoted.write_failed([FailedRecord(1, ms(2018, 7, 6, 23, 10), "c", "m",
                                                          NOW, b"x")], PROCESSING_FAILED, NOW))


def test_java_patterns(store: LocalObjectStore) -> None:
    # YYYY is the week-based year in java.time: on Monday 2018-12-31 it is already 2019 (ISO
    # week 1), while yyyy is 2018.
    backups = backup(store, Prefix="!{timestamp:YYYY}-w!{timestamp:ww}/!{timestamp:yyyy}/"
                                   "!{timestamp:EEE dd MMM uuuu, HH:mm:ss.SSS a}/",
                     ErrorOutputPrefix="!{firehose:error-output-type}/")
    key = backups.write_records([b"x"], NOW, arrival_ms=ms(2018, 12, 31, 13, 5, 7))
    assert key.startswith("2019-w01/2018/Mon 31 Dec 2018, 13:05:07.000 PM/waf-1-"), key


def test_failed_records_decode_to_the_records(store: LocalObjectStore) -> None:
    backups = backup(store, CompressionFormat="GZIP")
    raws = [b'{"message":"caf\xc3\xa9"}', b"\x00\x01\xff not json"]
    index_key = backups.write_failed(
        [failed(raw, esDocumentId=f"id-{i}", esIndexName="awswaf-2026-12-04",
                esTypeName="") for i, raw in enumerate(raws)], ELASTICSEARCH_FAILED, NOW)
    splunk_key = backups.write_failed(
        [FailedRecord(0, ARRIVED, "Splunk.AckTimeout", "Did not receive an acknowledgement",
                      NOW, raws[0], {"EventId": "4957.0"})], SPLUNK_FAILED, NOW)
    lambda_key = backups.write_failed(
        [FailedRecord(4, ARRIVED, "Lambda.FunctionError", "boom", NOW, raws[1],
                      {"lambdaArn": "http://127.0.0.1:9/fn"})], PROCESSING_FAILED, NOW)
    for key in (index_key, splunk_key, lambda_key):
        assert key.endswith(".gz")

    def lines(key: str) -> list[dict[str, Any]]:
        text = gzip.decompress(store.get("backups", key)).decode()
        assert text.endswith("\n")
        return [json.loads(line) for line in text.splitlines()]

    index_lines = lines(index_key)
    assert [base64.b64decode(line["rawData"]) for line in index_lines] == raws
    assert list(index_lines[0]) == ["attemptsMade", "arrivalTimestamp", "errorCode",
                                    "errorMessage", "attemptEndingTimestamp", "esDocumentId",
                                    "esIndexName", "esTypeName", "rawData"]
    assert index_lines[1] | {"rawData": None} == {
        "attemptsMade": 3, "arrivalTimestamp": ARRIVED, "errorCode": "400",
        "errorMessage": "mapper_parsing_exception", "attemptEndingTimestamp": NOW,
        "esDocumentId": "id-1", "esIndexName": "awswaf-2026-12-04", "esTypeName": "",
        "rawData": None}
    (splunk,) = lines(splunk_key)
    assert list(splunk)[-2:] == ["rawData", "EventId"]
    assert base64.b64decode(splunk["rawData"]) == raws[0]
    (processing,) = lines(lambda_key)
    assert list(processing)[-2:] == ["rawData", "lambdaArn"]
    assert processing["errorCode"] == "Lambda.FunctionError"
    assert base64.b64decode(processing["rawData"]) == raws[1]

    all_key = backups.write_records(raws, NOW)
    assert gzip.decompress(store.get("backups", all_key)) == b"".join(raws)


def test_store_failures_reach_the_caller(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"not a folder")
    with pytest.raises(ObjectStoreError):
        backup(LocalObjectStore(tmp_path / "file")).write_records([b"x"], NOW)


def test_backups_in_s3(s3: S3Store) -> None:
    bucket = s3.bucket()
    store = S3ObjectStore(endpoint=s3.endpoint_url, access_key=s3.access_key,
                          secret_key=s3.secret_key)
    backups = Backup(store, {"BucketARN": f"arn:aws:s3:::{bucket}", "Prefix": "waf/",
                             "CompressionFormat": "GZIP"}, stream_name="waf", version_id="3")
    records = [b'{"n":%d}\n' % i for i in range(1000)]
    all_key = backups.write_records(records, NOW, arrival_ms=ARRIVED)
    failed_key = backups.write_failed([failed(records[0], esDocumentId="x", esIndexName="i",
                                              esTypeName="")], ELASTICSEARCH_FAILED, NOW)
    # Read back with an S3 client of its own, as a user's tools would.
    client = s3.client()
    listed = [item["Key"] for item in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert sorted(listed) == sorted([all_key, failed_key])
    assert re.fullmatch(rf"waf/2026/12/04/09/waf-3-2026-12-04-10-30-05-{UUID}\.gz", all_key)
    assert failed_key.startswith("waf/elasticsearch-failed/2026/12/04/09/waf-3-")
    body = client.get_object(Bucket=bucket, Key=all_key)["Body"].read()
    assert gzip.decompress(body) == b"".join(records)
    (line,) = gzip.decompress(client.get_object(Bucket=bucket, Key=failed_key)["Body"].read()
                              ).splitlines()
    assert base64.b64decode(json.loads(line)["rawData"]) == records[0]


@pytest.mark.parametrize("configuration", [
    {},
    {"Prefix": "yyyy/MM/dd"},
    {"Prefix": "a/!{timestamp:yyyy/MM/dd}/",
     "ErrorOutputPrefix": "e/!{firehose:error-output-type}/!{timestamp:yyyy}/"},
    {"Prefix": "myFirehose/DeliveredYear=!{timestamp:yyyy}/anyMonth/rand="
               "!{firehose:random-string}",
     "ErrorOutputPrefix": "myFirehoseFailures/!{firehose:error-output-type}/"
                          "!{timestamp:yyyy}/anyMonth/!{timestamp:dd}"},
    {"ErrorOutputPrefix": "myFirehoseFailures/!{firehose:error-output-type}/"},
    {"ErrorOutputPrefix": "failures/"},
    {"CompressionFormat": "GZIP"}, {"CompressionFormat": "UNCOMPRESSED"},
    {"BucketARN": "arn:aws-cn:s3:::my.bucket-1"},
])
def test_accepted_configurations(configuration: dict[str, Any]) -> None:
    check_s3_configuration({"BucketARN": "arn:aws:s3:::backups", **configuration})


@pytest.mark.parametrize(("configuration", "message"), [
    ({"BucketARN": None}, "S3Configuration.BucketARN is required"),
    ({"BucketARN": "backups"}, "Member must satisfy regular expression pattern"),
    ({"BucketARN": "arn:aws:s3:::a/b"}, "Member must satisfy regular expression pattern"),
    ({"BucketARN": "arn:aws:s3:::Upper_Case"}, "invalid bucket name"),
    ({"CompressionFormat": "BZIP2"}, "Member must satisfy enum value set: [UNCOMPRESSED, GZIP"),
    ({"CompressionFormat": "Snappy"}, "CompressionFormat Snappy is not supported by Loghaven"),
    ({"Prefix": "!{timestamp:yyyy/MM/dd}"},
     "Ths supplied prefix(es) do not satisfy the following constraint: ErrorOutputPrefix "
     "cannot be null or empty when Prefix contains expressions"),
    ({"Prefix": "!{firehose:error-output-type}/", "ErrorOutputPrefix": "e/"},
     "Prefix cannot contain !{firehose:error-output-type}"),
    ({"ErrorOutputPrefix": "e/!{timestamp:yyyy}/"},
     "ErrorOutputPrefix must contain !{firehose:error-output-type}"),
    ({"Prefix": "a!{b/"}, "The sequence !{ can only appear in !{namespace:value} expressions"),
    ({"Prefix": "!{timestamp:yyyy}!{/", "ErrorOutputPrefix": "!{firehose:error-output-type}"},
     "The sequence !{ can only appear"),
    ({"Prefix": "!{aws:region}/", "ErrorOutputPrefix": "!{firehose:error-output-type}"},
     "!{aws:region} is not a valid expression"),
    ({"Prefix": "!{partitionKeyFromQuery:id}/",
      "ErrorOutputPrefix": "!{firehose:error-output-type}"}, "needs dynamic partitioning"),
    ({"Prefix": "!{timestamp:yyyy#}/", "ErrorOutputPrefix": "!{firehose:error-output-type}"},
     "Pattern includes reserved character: '#'"),
    ({"Prefix": "!{timestamp:yyyy}/!{timestamp:date}/",
      "ErrorOutputPrefix": "!{firehose:error-output-type}"}, "Unknown pattern letter: t"),
    ({"Prefix": "!{timestamp:'open}/", "ErrorOutputPrefix": "!{firehose:error-output-type}"},
     "incomplete string literal"),
    ({"Prefix": "!{timestamp:ddd}/", "ErrorOutputPrefix": "!{firehose:error-output-type}"},
     "Too many pattern letters"),
    ({"Prefix": "p" * 500 + "/"}, "Prefix cannot be greater than 512 characters after"),
    ({"Prefix": "/absolute/"}, "cannot name objects"),
    ({"Prefix": "a//b/"}, "cannot name objects"),
    ({"Prefix": "../escape/"}, "cannot name objects"),
])
def test_refused_configurations(configuration: dict[str, Any], message: str) -> None:
    with pytest.raises(FirehoseError) as refused:
        check_s3_configuration({"BucketARN": "arn:aws:s3:::backups", **configuration})
    assert refused.value.code == "InvalidArgumentException"
    assert message in str(refused.value)
