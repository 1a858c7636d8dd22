"""The stream model's contract (streams/model.py): CreateDeliveryStream checked as AWS and
Firehose check it, the stream kept and read back, DeliveryStreamDescription as Firehose
renders it, and PutRecord/PutRecordBatch's limits with Firehose's codes and messages."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from loghaven.streams import backup, model, transform
from loghaven.streams.errors import FirehoseError

ROLE = "arn:aws:iam::123456789012:role/firehose"
S3 = {"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::waf-backup"}


def _implemented(check: Any, argument: Any) -> bool:
    try:
        check(argument)
    except NotImplementedError:
        return False
    except Exception:  # a refusal: the helper is there
        pass
    return True


#: parse_create calls the transform and backup helpers' checks (their branches implement them).
needs_helpers = pytest.mark.skipif(
    not (_implemented(backup.check_s3_configuration, S3)
         and _implemented(transform.check_processing, None)),
    reason="streams/backup.py or streams/transform.py is still the contract's stub")


def _create(**body: Any) -> model.StreamConfig:
    return model.parse_create({"DeliveryStreamName": "waf", **body}, region="eu-west-1",
                              account="123456789012", now_ms=1_764_000_000_123, owner="alice")


def _refusal(call: Any) -> tuple[str, str]:
    with pytest.raises(FirehoseError) as refused:
        call()
    return refused.value.code, refused.value.reason


def _data(size: int) -> str:
    return base64.b64encode(b"x" * size).decode()


def test_shape_errors_are_validation_exceptions_in_aws_words() -> None:
    code, message = _refusal(lambda: model.validate({"DeliveryStreamName": "no spaces", "Tags": [
        {"Key": "aws:reserved"}]}, model.CREATE))
    assert code == "ValidationException"
    assert message == (
        "2 validation errors detected: Value 'no spaces' at 'deliveryStreamName' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; "
        "Value 'aws:reserved' at 'tags.1.member.key' failed to satisfy constraint: Member must "
        "satisfy regular expression pattern: ^(?!aws:)[\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@%]*$")
    assert _refusal(lambda: model.validate({}, model.CREATE)) == (
        "ValidationException", "1 validation error detected: Value null at "
        "'deliveryStreamName' failed to satisfy constraint: Member must not be null")
    assert _refusal(lambda: model.validate({"DeliveryStreamName": "x" * 65}, model.CREATE))[1] \
        .endswith("Member must have length less than or equal to 64")


def test_ranges_of_buffering_and_retries() -> None:
    body = {"DeliveryStreamName": "waf", model.ELASTICSEARCH: {
        "RoleARN": ROLE, "IndexName": "awswaf", "S3Configuration": S3,
        "BufferingHints": {"SizeInMBs": 101, "IntervalInSeconds": -1},
        "RetryOptions": {"DurationInSeconds": 7201}, "IndexRotationPeriod": "Daily"}}
    code, message = _refusal(lambda: model.validate(body, model.CREATE))
    assert code == "ValidationException" and message.startswith("4 validation errors detected")
    prefix = "elasticsearchDestinationConfiguration"
    for part in (f"Value '101' at '{prefix}.bufferingHints.sizeInMBs' failed to satisfy "
                 f"constraint: Member must have value less than or equal to 100",
                 f"Value '-1' at '{prefix}.bufferingHints.intervalInSeconds' failed to satisfy "
                 f"constraint: Member must have value greater than or equal to 0",
                 f"Value '7201' at '{prefix}.retryOptions.durationInSeconds'",
                 "Member must satisfy enum value set: [NoRotation, OneHour, OneDay, OneWeek, "
                 "OneMonth]"):
        assert part in message
    splunk = {"DeliveryStreamName": "s", model.SPLUNK_CONFIGURATION: {
        "HECEndpoint": "https://splunk:8088", "HECEndpointType": "Event", "S3Configuration": S3,
        "BufferingHints": {"SizeInMBs": 6, "IntervalInSeconds": 61},
        "HECAcknowledgmentTimeoutInSeconds": 179}}
    assert _refusal(lambda: model.validate(splunk, model.CREATE))[1] \
        .startswith("3 validation errors detected")


def test_a_valid_request_passes() -> None:
    model.validate({"DeliveryStreamName": "waf", model.SPLUNK_CONFIGURATION: {
        "HECEndpoint": "https://splunk:8088", "HECEndpointType": "Event", "S3Configuration": S3,
        "ProcessingConfiguration": {"Enabled": True, "Processors": [{"Type": "Lambda",
                                    "Parameters": [{"ParameterName": "LambdaArn",
                                                    "ParameterValue": "https://fn/"}]}]},
        "CloudWatchLoggingOptions": {"Enabled": False}}, "Tags": [
            {"Key": "équipe", "Value": "sécurité"}]}, model.CREATE)


def test_a_value_of_the_wrong_json_type_is_a_serialization_exception() -> None:
    code, message = _refusal(lambda: model.validate(
        {"DeliveryStreamName": "waf", model.ELASTICSEARCH: {"IndexName": 7}}, model.CREATE))
    assert code == "SerializationException"
    assert "elasticsearchDestinationConfiguration.indexName" in message


@needs_helpers
def test_create_with_the_defaults_firehose_fills_in() -> None:
    config = _create(**{model.ELASTICSEARCH: {"RoleARN": ROLE, "IndexName": "awswaf",
                                              "S3Configuration": S3}})
    assert config.arn == "arn:aws:firehose:eu-west-1:123456789012:deliverystream/waf"
    assert config.type == "DirectPut" and config.owner == "alice"
    destination = config.destination
    assert (destination.kind, destination.index_name, destination.rotation) == \
        (model.INDEX, "awswaf", "OneDay")
    assert (destination.size_mb, destination.interval_s, destination.retry_s) == (5, 300, 300)
    assert destination.backup_mode == "FailedDocumentsOnly" and destination.document_ids
    splunk = _create(**{model.SPLUNK_CONFIGURATION: {
        "HECEndpoint": "https://127.0.0.1:8088", "HECEndpointType": "Raw", "HECToken": "t",
        "S3Configuration": S3}}).destination
    assert (splunk.kind, splunk.size_mb, splunk.interval_s, splunk.retry_s,
            splunk.backup_mode, splunk.hec_ack_timeout_s) == \
        (model.SPLUNK, 5, 60, 3600, "FailedEventsOnly", 180)


@needs_helpers
def test_what_firehose_refuses_names_the_member() -> None:
    es = {"RoleARN": ROLE, "IndexName": "awswaf", "S3Configuration": S3}
    for body, words in (
            ({}, "Exactly one destination configuration"),
            ({model.ELASTICSEARCH: es, model.OPENSEARCH: es}, "Exactly one destination"),
            ({"ExtendedS3DestinationConfiguration": {"RoleARN": ROLE}},
             "ExtendedS3DestinationConfiguration is not supported"),
            ({model.OPENSEARCH: es, "DeliveryStreamType": "KinesisStreamAsSource"},
             "KinesisStreamAsSource is not supported"),
            ({model.OPENSEARCH: es, "KinesisStreamSourceConfiguration": {}},
             "KinesisStreamSourceConfiguration is not supported"),
            ({model.OPENSEARCH: {**es, "IndexName": "AWSWAF"}},
             "IndexName: Invalid index name [AWSWAF], must be lowercase"),
            ({model.OPENSEARCH: {**es, "IndexName": "_waf"}}, "must not start with '_'"),
            ({model.SPLUNK_CONFIGURATION: {"HECEndpoint": "splunk:8088", "HECToken": "t",
                                           "HECEndpointType": "Raw", "S3Configuration": S3}},
             "HECEndpoint must be the http(s) URL"),
            ({model.SPLUNK_CONFIGURATION: {"HECEndpoint": "https://splunk:8088",
                                           "HECEndpointType": "Raw", "S3Configuration": S3}},
             "HECToken is required")):
        code, message = _refusal(lambda body=body: _create(**body))
        assert code == "InvalidArgumentException" and words in message, (body, message)


@needs_helpers
def test_a_stream_is_kept_and_read_back_whole() -> None:
    config = _create(Tags=[{"Key": "team", "Value": "sec"}], **{model.OPENSEARCH: {
        "RoleARN": ROLE, "IndexName": "awswaf", "S3Configuration": S3,
        "DocumentIdOptions": {"DefaultDocumentIdFormat": "NO_DOCUMENT_ID"},
        "IndexRotationPeriod": "OneHour"}})
    assert model.StreamConfig.from_json(config.to_json()) == config
    assert not config.destination.document_ids


@needs_helpers
def test_describe_renders_firehose_s_description() -> None:
    config = _create(**{model.ELASTICSEARCH: {
        "RoleARN": ROLE, "DomainARN": "arn:aws:es:eu-west-1:123456789012:domain/logs",
        "IndexName": "awswaf", "S3Configuration": {**S3, "Prefix": "waf/"},
        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60}}})
    described = model.describe(config, "ACTIVE", {"incoming_records": 3})
    assert described == {
        "DeliveryStreamName": "waf", "DeliveryStreamARN": config.arn,
        "DeliveryStreamStatus": "ACTIVE",
        "DeliveryStreamEncryptionConfiguration": {"Status": "DISABLED"},
        "DeliveryStreamType": "DirectPut", "VersionId": "1",
        "CreateTimestamp": 1_764_000_000.123,
        "Destinations": [{"DestinationId": "destinationId-000000000001",
                          "ElasticsearchDestinationDescription": {
                              "RoleARN": ROLE,
                              "DomainARN": "arn:aws:es:eu-west-1:123456789012:domain/logs",
                              "IndexName": "awswaf", "IndexRotationPeriod": "OneDay",
                              "BufferingHints": {"IntervalInSeconds": 60, "SizeInMBs": 1},
                              "RetryOptions": {"DurationInSeconds": 300},
                              "S3BackupMode": "FailedDocumentsOnly",
                              "S3DestinationDescription": {
                                  **S3, "Prefix": "waf/",
                                  "BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 300},
                                  "CompressionFormat": "UNCOMPRESSED",
                                  "EncryptionConfiguration": {
                                      "NoEncryptionConfig": "NoEncryption"},
                                  "CloudWatchLoggingOptions": {"Enabled": False}},
                              "ProcessingConfiguration": {"Enabled": False, "Processors": []},
                              "CloudWatchLoggingOptions": {"Enabled": False},
                              "DocumentIdOptions": {
                                  "DefaultDocumentIdFormat": "FIREHOSE_DEFAULT"}}}],
        "HasMoreDestinations": False, "LoghavenMetrics": {"incoming_records": 3}}
    splunk = _create(**{model.SPLUNK_CONFIGURATION: {
        "HECEndpoint": "https://127.0.0.1:8088", "HECEndpointType": "Event",
        "HECToken": "secret-token", "S3Configuration": S3}})
    rendered = model.describe(splunk, "ACTIVE", {})["Destinations"][0]
    assert "secret-token" not in repr(rendered)
    assert rendered["SplunkDestinationDescription"]["HECEndpointType"] == "Event"


def test_put_record_batch_limits() -> None:
    assert model.put_records({"DeliveryStreamName": "waf", "Records": [
        {"Data": _data(3)}, {"Data": ""}]}, batch=True) == ("waf", [b"xxx", b""])
    code, message = _refusal(lambda: model.put_records({"DeliveryStreamName": "waf", "Records": [
        {"Data": "eA=="}] * 501}, batch=True))
    assert code == "ValidationException"
    assert message.endswith("at 'records' failed to satisfy constraint: Member must have "
                            "length less than or equal to 500")
    assert model.put_records({"DeliveryStreamName": "waf", "Records": [
        {"Data": "eA=="}] * 500}, batch=True)[1] == [b"x"] * 500
    code, message = _refusal(lambda: model.put_records({"DeliveryStreamName": "waf", "Records": [
        {"Data": "eA=="}, {"Data": _data(model.MAX_RECORD_BYTES + 1)}]}, batch=True))
    assert (code, message) == ("ValidationException", (
        "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=1024001 "
        "cap=1024001]' at 'records.2.member.data' failed to satisfy constraint: Member must "
        "have length less than or equal to 1024000"))
    five = [{"Data": _data(model.MAX_RECORD_BYTES)}] * 5
    assert _refusal(lambda: model.put_records({"DeliveryStreamName": "waf", "Records": five},
                                              batch=True)) == \
        ("InvalidArgumentException", "Records size exceeds 4 MB limit")
    rest = model.MAX_BATCH_BYTES - 4 * model.MAX_RECORD_BYTES
    exactly = [{"Data": _data(model.MAX_RECORD_BYTES)}] * 4 + [{"Data": _data(rest)}]
    assert sum(map(len, model.put_records({"DeliveryStreamName": "waf", "Records": exactly},
                                          batch=True)[1])) == model.MAX_BATCH_BYTES
    assert _refusal(lambda: model.put_records({"DeliveryStreamName": "waf", "Records": [
        {"Data": "not base64!"}]}, batch=True))[0] == "SerializationException"


def test_put_record_limits() -> None:
    assert model.put_records({"DeliveryStreamName": "waf", "Record": {"Data": _data(1)}},
                             batch=False) == ("waf", [b"x"])
    code, message = _refusal(lambda: model.put_records({"DeliveryStreamName": "waf", "Record": {
        "Data": _data(model.MAX_RECORD_BYTES + 1)}}, batch=False))
    assert code == "ValidationException" and "at 'record.data'" in message
    assert _refusal(lambda: model.put_records({"DeliveryStreamName": "waf"}, batch=False)) == (
        "ValidationException", "1 validation error detected: Value null at 'record' failed to "
        "satisfy constraint: Member must not be null")
