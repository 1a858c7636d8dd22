"""The Firehose API at ``POST /`` through boto3's ``firehose`` client pointed at a real
server, as producers use it: create (each destination), describe, list, delete, put, and
every refusal in Firehose's JSON 1.1 shape; with security on, SigV4 with a Loghaven access key
and each operation authorized as its own action."""

from __future__ import annotations

import base64
import datetime
import time
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import orjson
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import Server
from loghaven.streams.model import MAX_REQUEST_BYTES
from loghaven.streams.service import StreamService
from security.conftest import SecureServer, role_user

ROLE = "arn:aws:iam::123456789012:role/firehose"
S3 = {"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::waf-backup"}
JSON_11 = {"content-type": "application/x-amz-json-1.1"}
TARGET = "Firehose_20150804."
KEYS = "/_plugins/_security/api/accesskeys"

#: The tests that create streams need the streams helper's StreamService (node.streams).
needs_service = pytest.mark.skipif("__init__" not in vars(StreamService),
                                   reason="streams/service.py is still the contract's stub")


def firehose(url: str, key: str = "k", secret: str = "s", *, validate: bool = True) -> Any:
    """boto3's client as a producer points it at Loghaven (``validate=False``: what the
    client would refuse itself reaches the server)."""
    return boto3.client("firehose", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(parameter_validation=validate,
                                      retries={"max_attempts": 1}))


def error_of(call: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as refused:
        call()
    response = refused.value.response
    return (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"],
            response["Error"]["Message"])


def call(url: str, operation: str, body: Any, **headers: str) -> httpx.Response:
    """One JSON 1.1 request as curl sends it."""
    return httpx.post(url + "/", content=body if isinstance(body, bytes) else orjson.dumps(body),
                      headers={**JSON_11, "x-amz-target": TARGET + operation, **headers},
                      timeout=60)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of this module's own (its streams stay here), with a small
    ``http.max_content_length`` that Firehose's 4 MiB batches still pass."""
    instance = Server(tmp_path_factory.mktemp("firehose") / "data",
                      env={"LOGHAVEN_MAX_CONTENT_LENGTH": "1mb"}).start()
    yield instance
    instance.stop()


def es_destination(index: str = "awswaf", **more: Any) -> dict[str, Any]:
    return {"RoleARN": ROLE, "IndexName": index, "S3Configuration": S3, **more}


# -- the protocol edge --------------------------------------------------------------------


def test_an_unknown_operation_is_firehose_s_error(node: Server) -> None:
    for target in (TARGET + "StartDeliveryStreamEncryption", "Kinesis_20131202.PutRecord"):
        answer = httpx.post(node.url + "/", content=b"{}", timeout=10,
                            headers={**JSON_11, "x-amz-target": target})
        assert answer.status_code == 400
        assert answer.headers["content-type"] == "application/x-amz-json-1.1"
        assert answer.headers["x-amzn-requestid"]
        assert answer.json()["__type"] == "UnknownOperationException"
        assert target in answer.json()["message"]


def test_json_needs_no_authorization_header_but_forms_still_do(node: Server) -> None:
    """JSON 1.1's target header and content type need a CORS preflight, so a page cannot send
    them; SNS's forms need no preflight, so they are taken only with ``Authorization``."""
    answer = call(node.url, "DescribeDeliveryStream", b"{not json")
    assert answer.status_code == 400 and answer.json()["__type"] == "SerializationException"
    form = httpx.post(node.url + "/", content=b"Action=ListTopics", timeout=10,
                      headers={"content-type": "application/x-www-form-urlencoded"})
    assert form.status_code == 401 and b"<Code>MissingAuthenticationToken</Code>" in form.content
    wrong_type = httpx.post(node.url + "/", content=b"{}", timeout=10, headers={
        "content-type": "text/plain", "x-amz-target": TARGET + "ListDeliveryStreams"})
    assert wrong_type.status_code == 406


def test_bodies_up_to_the_largest_batch_pass_the_edge(node: Server) -> None:
    """This server's ``http.max_content_length`` is 1mb; Firehose's JSON may be as large as
    a valid PutRecordBatch (4 MiB of records in base64), and no larger."""
    passed = call(node.url, "PutRecordBatch", b"{" + b" " * (6 * 1024 * 1024))
    assert passed.status_code == 400 and passed.json()["__type"] == "SerializationException"
    answer = call(node.url, "PutRecordBatch", b" " * (MAX_REQUEST_BYTES + 1))
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/x-amz-json-1.1"
    assert "larger than the allowed maximum" in answer.json()["message"]


# -- operations ---------------------------------------------------------------------------


@needs_service
def test_create_describe_and_delete_each_destination(node: Server) -> None:
    client = firehose(node.url)
    configurations = {
        "es-stream": {"ElasticsearchDestinationConfiguration": es_destination(
            "es-target", DomainARN="arn:aws:es:us-east-1:123456789012:domain/logs",
            IndexRotationPeriod="NoRotation", BufferingHints={"SizeInMBs": 1,
                                                              "IntervalInSeconds": 60})},
        "os-stream": {"AmazonopensearchserviceDestinationConfiguration": es_destination(
            "os-target", ClusterEndpoint="https://search.example:443",
            IndexRotationPeriod="OneWeek", RetryOptions={"DurationInSeconds": 60},
            S3BackupMode="AllDocuments")},
        "splunk-stream": {"SplunkDestinationConfiguration": {
            "HECEndpoint": "https://127.0.0.1:8088", "HECEndpointType": "Event",
            "HECToken": "00000000-0000-0000-0000-000000000000", "S3Configuration": S3,
            "HECAcknowledgmentTimeoutInSeconds": 300}},
    }
    for name, configuration in configurations.items():
        arn = client.create_delivery_stream(DeliveryStreamName=name, **configuration)[
            "DeliveryStreamARN"]
        assert arn == f"arn:aws:firehose:us-east-1:000000000000:deliverystream/{name}"
        described = client.describe_delivery_stream(DeliveryStreamName=name)[
            "DeliveryStreamDescription"]
        assert (described["DeliveryStreamName"], described["DeliveryStreamARN"],
                described["DeliveryStreamStatus"], described["DeliveryStreamType"],
                described["VersionId"], described["HasMoreDestinations"]) == \
            (name, arn, "ACTIVE", "DirectPut", "1", False)
        assert isinstance(described["CreateTimestamp"], datetime.datetime)
        [destination] = described["Destinations"]
        assert destination["DestinationId"] == "destinationId-000000000001"
        [(key, rendered)] = [(k, v) for k, v in destination.items() if k != "DestinationId"]
        assert key == next(iter(configuration)).replace("Configuration", "Description")
        assert rendered["S3DestinationDescription"]["BucketARN"] == S3["BucketARN"]
        assert "HECToken" not in rendered
    described = client.describe_delivery_stream(DeliveryStreamName="os-stream")[
        "DeliveryStreamDescription"]["Destinations"][0][
        "AmazonopensearchserviceDestinationDescription"]
    assert (described["IndexRotationPeriod"], described["RetryOptions"],
            described["S3BackupMode"], described["BufferingHints"]) == \
        ("OneWeek", {"DurationInSeconds": 60}, "AllDocuments",
         {"IntervalInSeconds": 300, "SizeInMBs": 5})
    splunk = client.describe_delivery_stream(DeliveryStreamName="splunk-stream")[
        "DeliveryStreamDescription"]["Destinations"][0]["SplunkDestinationDescription"]
    assert (splunk["HECEndpointType"], splunk["HECAcknowledgmentTimeoutInSeconds"],
            splunk["S3BackupMode"], splunk["RetryOptions"]) == \
        ("Event", 300, "FailedEventsOnly", {"DurationInSeconds": 3600})
    for name in configurations:
        assert client.delete_delivery_stream(DeliveryStreamName=name)["ResponseMetadata"][
            "HTTPStatusCode"] == 200
        assert error_of(lambda name=name: client.describe_delivery_stream(
            DeliveryStreamName=name))[:2] == ("ResourceNotFoundException", 400)


@needs_service
def test_list_pages_in_name_order(node: Server) -> None:
    client = firehose(node.url)
    names = [f"page-{n}" for n in (3, 1, 4, 0, 2)]
    for name in names:
        client.create_delivery_stream(DeliveryStreamName=name,
                                      ElasticsearchDestinationConfiguration=es_destination())
    try:
        listed = client.list_delivery_streams(Limit=2)
        mine = [n for n in listed["DeliveryStreamNames"] if n.startswith("page-")]
        seen = list(mine)
        while listed["HasMoreDeliveryStreams"]:
            listed = client.list_delivery_streams(
                Limit=2, ExclusiveStartDeliveryStreamName=listed["DeliveryStreamNames"][-1])
            assert len(listed["DeliveryStreamNames"]) <= 2
            seen += [n for n in listed["DeliveryStreamNames"] if n.startswith("page-")]
        assert seen == sorted(names)
        assert client.list_delivery_streams(
            ExclusiveStartDeliveryStreamName="page-2", DeliveryStreamType="DirectPut")[
            "DeliveryStreamNames"][:2] == ["page-3", "page-4"]
    finally:
        for name in names:
            client.delete_delivery_stream(DeliveryStreamName=name)


@needs_service
def test_refusals_in_firehose_s_words(node: Server) -> None:
    client = firehose(node.url)
    raw = firehose(node.url, validate=False)
    code, status, message = error_of(lambda: client.describe_delivery_stream(
        DeliveryStreamName="nowhere"))
    assert (code, status, message) == (
        "ResourceNotFoundException", 400,
        "Firehose nowhere under account 000000000000 not found.")
    assert error_of(lambda: client.put_record(DeliveryStreamName="nowhere",
                                              Record={"Data": b"x"}))[:2] == \
        ("ResourceNotFoundException", 400)
    assert error_of(lambda: client.delete_delivery_stream(DeliveryStreamName="nowhere"))[:2] \
        == ("ResourceNotFoundException", 400)
    code, status, message = error_of(lambda: client.create_delivery_stream(
        DeliveryStreamName="bad-index",
        ElasticsearchDestinationConfiguration=es_destination("Upper")))
    assert (code, status) == ("InvalidArgumentException", 400)
    assert "must be lowercase" in message
    code, status, message = error_of(lambda: raw.create_delivery_stream(
        DeliveryStreamName="bad hints", ElasticsearchDestinationConfiguration=es_destination(
            BufferingHints={"SizeInMBs": 101, "IntervalInSeconds": 901})))
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("3 validation errors detected")
    assert "Member must have value less than or equal to 900" in message
    assert error_of(lambda: client.create_delivery_stream(
        DeliveryStreamName="from-kinesis", DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={
            "KinesisStreamARN": "arn:aws:kinesis:us-east-1:123456789012:stream/s",
            "RoleARN": ROLE},
        ElasticsearchDestinationConfiguration=es_destination()))[0] == \
        "InvalidArgumentException"
    client.create_delivery_stream(DeliveryStreamName="twice",
                                  ElasticsearchDestinationConfiguration=es_destination())
    try:
        assert error_of(lambda: client.create_delivery_stream(
            DeliveryStreamName="twice",
            ElasticsearchDestinationConfiguration=es_destination()))[:2] == \
            ("ResourceInUseException", 400)
    finally:
        client.delete_delivery_stream(DeliveryStreamName="twice")


@needs_service
def test_put_record_and_batch_limits(node: Server) -> None:
    client = firehose(node.url)
    raw = firehose(node.url, validate=False)
    client.create_delivery_stream(DeliveryStreamName="limits",
                                  ElasticsearchDestinationConfiguration=es_destination(
                                      "limits", BufferingHints={"IntervalInSeconds": 900,
                                                                "SizeInMBs": 100}))
    try:
        put = client.put_record(DeliveryStreamName="limits", Record={"Data": b'{"a":1}'})
        assert put["RecordId"] and put["Encrypted"] is False
        batch = client.put_record_batch(DeliveryStreamName="limits",
                                        Records=[{"Data": b'{"n":%d}' % n} for n in range(500)])
        assert batch["FailedPutCount"] == 0 and len(batch["RequestResponses"]) == 500
        assert len({r["RecordId"] for r in batch["RequestResponses"]}) == 500
        code, status, message = error_of(lambda: raw.put_record_batch(
            DeliveryStreamName="limits", Records=[{"Data": b"x"}] * 501))
        assert (code, status) == ("ValidationException", 400)
        assert message.endswith("Member must have length less than or equal to 500")
        code, status, message = error_of(lambda: raw.put_record(
            DeliveryStreamName="limits", Record={"Data": b"x" * (1000 * 1024 + 1)}))
        assert (code, status) == ("ValidationException", 400)
        assert "lim=1024001" in message and "less than or equal to 1024000" in message
        # 4 MiB in one call passes the edge (http.max_content_length is 1mb here); more is
        # Firehose's InvalidArgumentException
        full = [{"Data": b"y" * (1000 * 1024)}] * 4 + [{"Data": b"z" * (4 * 1024 * 1024
                                                                      - 4000 * 1024)}]
        assert client.put_record_batch(DeliveryStreamName="limits", Records=full)[
            "FailedPutCount"] == 0
        assert error_of(lambda: raw.put_record_batch(
            DeliveryStreamName="limits", Records=[*full, {"Data": b"!"}])) == \
            ("InvalidArgumentException", 400, "Records size exceeds 4 MB limit")
    finally:
        client.delete_delivery_stream(DeliveryStreamName="limits")


# -- delivery, end to end -----------------------------------------------------------------


def _search(url: str, index: str, query: dict[str, Any], expected: int) -> list[dict]:
    """The hits once ``expected`` arrived (bounded wait; the assertion says what came)."""
    deadline = time.monotonic() + 60
    hits: list[dict] = []
    while time.monotonic() < deadline:
        answer = httpx.post(f"{url}/{index}/_search?ignore_unavailable=true", timeout=30,
                            json={"query": query, "size": 100})
        if answer.status_code == 200:
            hits = answer.json()["hits"]["hits"]
            if len(hits) >= expected:
                break
        time.sleep(0.25)
    assert len(hits) == expected, hits
    return hits


def _daily(prefix: str, before: float, after: float) -> set[str]:
    """The daily index names (OneDay rotation, UTC) the arrival time may have picked."""
    return {prefix + "-" + datetime.datetime.fromtimestamp(t, datetime.UTC).strftime(
        "%Y-%m-%d") for t in (before, after)}


@needs_service
def test_records_put_with_boto3_land_in_the_daily_index(node: Server) -> None:
    client = firehose(node.url)
    client.create_delivery_stream(
        DeliveryStreamName="daily", AmazonopensearchserviceDestinationConfiguration=es_destination(
            "daily", BufferingHints={"IntervalInSeconds": 0, "SizeInMBs": 1}))
    try:
        before = time.time()
        client.put_record(DeliveryStreamName="daily", Record={"Data": b'{"n": 0}'})
        client.put_record_batch(DeliveryStreamName="daily",
                                Records=[{"Data": orjson.dumps({"n": n})} for n in range(1, 50)])
        after = time.time()
        hits = _search(node.url, "daily-*", {"match_all": {}}, 50)
        assert sorted(h["_source"]["n"] for h in hits) == list(range(50))
        assert {h["_index"] for h in hits} <= _daily("daily", before, after)
        metrics = client.describe_delivery_stream(DeliveryStreamName="daily")[
            "DeliveryStreamDescription"]
        assert "LoghavenMetrics" not in metrics  # boto3 keeps only Firehose's members
        raw = call(node.url, "DescribeDeliveryStream", {"DeliveryStreamName": "daily"}).json()
        assert raw["DeliveryStreamDescription"]["LoghavenMetrics"]
    finally:
        client.delete_delivery_stream(DeliveryStreamName="daily")


WAF_RECORD = {
    "timestamp": 1764806400000, "formatVersion": 1,
    "webaclId": "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/owasp/1a2b",
    "terminatingRuleId": "AWS-AWSManagedRulesSQLiRuleSet", "terminatingRuleType": "MANAGED_RULE_GROUP",
    "action": "BLOCK", "httpSourceName": "ALB", "httpSourceId": "123456789012-app/owasp/1",
    "ruleGroupList": [], "rateBasedRuleList": [], "nonTerminatingMatchingRules": [],
    "httpRequest": {"clientIp": "203.0.113.7", "country": "NL", "headers": [
        {"name": "Host", "value": "shop.example"}], "uri": "/login", "args": "id=1%27--",
        "httpVersion": "HTTP/1.1", "httpMethod": "GET", "requestId": "req-1"}}


@needs_service
def test_the_seed_s_waf_setup_end_to_end(node: Server) -> None:
    """The seed's WAF logs → Firehose → daily ``awswaf`` index, FailedDocumentsOnly backup,
    reproduced with boto3 as the seed sets it up (buffering shortened); the ``awswaf-*``
    indices' built-in template parses the records as ECS, as ``loghaven ingest`` would."""
    client = firehose(node.url)
    arn = client.create_delivery_stream(
        DeliveryStreamName="aws-waf-logs-owasp", DeliveryStreamType="DirectPut",
        ElasticsearchDestinationConfiguration={
            "RoleARN": ROLE, "DomainARN": "arn:aws:es:us-east-1:123456789012:domain/waf-logs",
            "IndexName": "awswaf", "TypeName": "", "IndexRotationPeriod": "OneDay",
            "BufferingHints": {"IntervalInSeconds": 1, "SizeInMBs": 1},
            "RetryOptions": {"DurationInSeconds": 60}, "S3BackupMode": "FailedDocumentsOnly",
            "S3Configuration": {**S3, "Prefix": "waf/", "CompressionFormat": "UNCOMPRESSED"}})[
        "DeliveryStreamARN"]
    assert arn.endswith(":deliverystream/aws-waf-logs-owasp")
    try:
        before = time.time()
        records = [{"Data": orjson.dumps({**WAF_RECORD, "httpRequest": {
            **WAF_RECORD["httpRequest"], "requestId": f"req-{n}"}}) + b"\n"} for n in range(20)]
        result = client.put_record_batch(DeliveryStreamName="aws-waf-logs-owasp",
                                         Records=[*records, {"Data": b"not a WAF record"}])
        after = time.time()
        assert result["FailedPutCount"] == 0
        hits = _search(node.url, "awswaf-*", {"term": {"event.action": "BLOCK"}}, 20)
        assert {h["_index"] for h in hits} <= _daily("awswaf", before, after)
        # the built-in AWS WAF template's pipeline made them ECS documents
        assert sorted(h["_source"]["http"]["request"]["id"] for h in hits) == \
            sorted(f"req-{n}" for n in range(20))
        # FailedDocumentsOnly: only the record the index refused is in the bucket (the local
        # object store), under Firehose's error output prefix
        bucket = node.data_dir / "buckets" / "waf-backup"
        deadline = time.monotonic() + 30
        while not (objects := [p for p in bucket.rglob("*") if p.is_file()]) \
                and time.monotonic() < deadline:
            time.sleep(0.25)
        [backed_up] = objects
        assert backed_up.relative_to(bucket).as_posix().startswith("waf/elasticsearch-failed/")
        [line] = backed_up.read_bytes().splitlines()
        failed = orjson.loads(line)
        assert base64.b64decode(failed["rawData"]) == b"not a WAF record"
        assert failed["esIndexName"] in _daily("awswaf", before, after)
    finally:
        client.delete_delivery_stream(DeliveryStreamName="aws-waf-logs-owasp")


# -- security on: SigV4 with access keys, each operation its own action -------------------


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureServer]:
    instance = SecureServer(tmp_path_factory.mktemp("secure-firehose") / "data").start()
    yield instance
    instance.stop()


def _key_of(secure: SecureServer, name: str, cluster: list[str]) -> tuple[str, str]:
    """A user whose role grants the ``cluster`` actions, and an access key of theirs."""
    with httpx.Client(base_url=secure.url, auth=secure.auth, timeout=30) as admin, \
            role_user(secure, admin, name, {"cluster_permissions": cluster}) as user:
        made = user.post(KEYS, json={"description": "firehose"})
        assert made.status_code in (200, 201), made.text
    return made.json()["access_key_id"], made.json()["secret_access_key"]


def test_signatures_are_checked_in_firehose_s_shape(secure: SecureServer) -> None:
    key, secret = _key_of(secure, "signer", ["cluster:admin/loghaven/firehose/*"])
    wrong = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    code, status, message = error_of(lambda: firehose(secure.url, key, wrong)
                                     .list_delivery_streams())
    assert (code, status) == ("InvalidSignatureException", 400)
    assert "does not match" in message
    assert error_of(lambda: firehose(secure.url, "LHAKAAAAAAAAAAAAAAAA", secret)
                    .list_delivery_streams())[:2] == ("UnrecognizedClientException", 400)
    missing = call(secure.url, "ListDeliveryStreams", {})
    assert missing.status_code == 400
    assert missing.json()["__type"] == "MissingAuthenticationTokenException"
    assert "www-authenticate" not in missing.headers


def test_each_operation_is_authorized(secure: SecureServer) -> None:
    reader = firehose(secure.url, *_key_of(secure, "lister",
                                           ["cluster:admin/loghaven/firehose/stream/list"]))
    code, status, message = error_of(lambda: reader.put_record(
        DeliveryStreamName="any", Record={"Data": b"x"}))
    assert (code, status) == ("AccessDeniedException", 400)
    assert "cluster:admin/loghaven/firehose/put" in message
    assert error_of(lambda: reader.create_delivery_stream(
        DeliveryStreamName="any", ElasticsearchDestinationConfiguration=es_destination()))[0] \
        == "AccessDeniedException"


@needs_service
def test_a_producer_with_an_access_key(secure: SecureServer) -> None:
    """A user granted the Firehose actions creates, lists, puts to and deletes a stream with
    their access key."""
    client = firehose(secure.url, *_key_of(secure, "streamer",
                                           ["cluster:admin/loghaven/firehose/*"]))
    client.create_delivery_stream(DeliveryStreamName="signed",
                                  ElasticsearchDestinationConfiguration=es_destination("signed"))
    assert "signed" in client.list_delivery_streams()["DeliveryStreamNames"]
    assert client.put_record(DeliveryStreamName="signed", Record={"Data": b"{}"})["RecordId"]
    client.delete_delivery_stream(DeliveryStreamName="signed")
