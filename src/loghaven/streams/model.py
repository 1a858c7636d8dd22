"""Delivery streams as Firehose defines them: the CreateDeliveryStream request checked and
read into a :class:`StreamConfig`, the DeliveryStreamDescription rendered back, and the
PutRecord/PutRecordBatch requests checked against Firehose's limits (500 records, 4 MiB per
call, 1,000 KiB per record), with Firehose's error codes and messages (streams/errors.py).

Requests are checked in two steps, as AWS's front end and then Firehose check them: first
their shape (:data:`CREATE`, :data:`PUT_RECORD`, :data:`PUT_RECORD_BATCH`: the members,
lengths, ranges, patterns and enums of botocore's ``firehose/2015-08-04/service-2.json``),
refused as ``ValidationException`` with AWS's "N validation errors detected: Value ... at
'path' failed to satisfy constraint: ..." message; then what Firehose itself refuses
(one destination, its kind, the index name, the S3 and processing parts, the 4 MiB per call)
as ``InvalidArgumentException``. Loghaven delivers only what producers put (``DirectPut``),
to an index of this node (the Elasticsearch and OpenSearch destinations: their RoleARN,
DomainARN, ClusterEndpoint and VpcConfiguration are accepted and ignored) or to a Splunk HEC
endpoint.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import regex

from loghaven.engine.names import validate_index_name
from loghaven.errors import InvalidIndexName
from loghaven.streams import backup, transform
from loghaven.streams.errors import FirehoseError, invalid_argument

#: Destinations Loghaven delivers to: an index of this node (the Elasticsearch and OpenSearch
#: destination configurations are the same to it) or a Splunk HEC endpoint.
INDEX, SPLUNK = "index", "splunk"
#: Firehose's limits.
MAX_BATCH_RECORDS = 500
MAX_BATCH_BYTES = 4 * 1024 * 1024
MAX_RECORD_BYTES = 1000 * 1024
#: The largest JSON body a valid PutRecordBatch can have: 4 MiB of records base64-encoded
#: (4/3) even by an encoder that escapes every ``/`` (x2), with room for the JSON around them.
#: The Firehose edge takes bodies this large whatever ``http.max_content_length`` says.
MAX_REQUEST_BYTES = 3 * MAX_BATCH_BYTES

ELASTICSEARCH = "ElasticsearchDestinationConfiguration"
OPENSEARCH = "AmazonopensearchserviceDestinationConfiguration"
SPLUNK_CONFIGURATION = "SplunkDestinationConfiguration"
#: Destinations of Firehose that Loghaven does not deliver to (refused by name).
_OTHER_DESTINATIONS = ("S3DestinationConfiguration", "ExtendedS3DestinationConfiguration",
                       "RedshiftDestinationConfiguration", "HttpEndpointDestinationConfiguration",
                       "AmazonOpenSearchServerlessDestinationConfiguration",
                       "SnowflakeDestinationConfiguration", "IcebergDestinationConfiguration")
#: Sources other than direct put (refused by name).
_OTHER_SOURCES = ("KinesisStreamSourceConfiguration", "MSKSourceConfiguration",
                  "DatabaseSourceConfiguration")
ROTATIONS = ("NoRotation", "OneHour", "OneDay", "OneWeek", "OneMonth")
#: Firehose's defaults: (size MB, interval s, retry s) by destination kind.
_DEFAULTS = {INDEX: (5, 300, 300), SPLUNK: (5, 60, 3600)}
#: An S3 configuration's own defaults, as DescribeDeliveryStream shows them.
_S3_DEFAULTS = {"BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 300},
                "CompressionFormat": "UNCOMPRESSED",
                "EncryptionConfiguration": {"NoEncryptionConfig": "NoEncryption"},
                "CloudWatchLoggingOptions": {"Enabled": False}}


# -- request shapes, as botocore's model has them ------------------------------------------


@dataclass(frozen=True)
class Shape:
    """One member's constraints in AWS's model (``string``, ``integer``, ``boolean``,
    ``blob``, ``structure``, ``list``); unknown members of a structure are ignored, as AWS's
    JSON protocol ignores them."""

    kind: str
    required: bool = False
    min: int | None = None
    max: int | None = None
    pattern: str | None = None
    enum: tuple[str, ...] = ()
    members: dict[str, Shape] = field(default_factory=dict)
    member: Shape | None = None


def _s(lo: int | None = None, hi: int | None = None, pattern: str | None = None, *,
       required: bool = False) -> Shape:
    return Shape("string", required, lo, hi, pattern)


def _i(lo: int, hi: int, *, required: bool = False) -> Shape:
    return Shape("integer", required, lo, hi)


def _e(*values: str, required: bool = False) -> Shape:
    return Shape("string", required, enum=values)


def _struct(*, required: bool = False, **members: Shape) -> Shape:
    return Shape("structure", required, members=members)


def _list(member: Shape, lo: int | None = None, hi: int | None = None, *,
          required: bool = False) -> Shape:
    return Shape("list", required, lo, hi, member=member)


_ROLE_ARN = r"arn:.*:iam::\d{12}:role/[a-zA-Z_0-9+=,.@\-_/]+"
_STREAM_NAME = _s(1, 64, r"[a-zA-Z0-9_.-]+", required=True)
_BOOLEAN = Shape("boolean")
_CLOUDWATCH = _struct(Enabled=_BOOLEAN, LogGroupName=_s(0, 512, r"[\.\-_/#A-Za-z0-9]*"),
                      LogStreamName=_s(0, 512, r"[^:*]*"))
_RETRY = _struct(DurationInSeconds=_i(0, 7200))
_PROCESSING = _struct(Enabled=_BOOLEAN, Processors=_list(_struct(
    Type=_e("RecordDeAggregation", "Decompression", "CloudWatchLogProcessing", "Lambda",
            "MetadataExtraction", "AppendDelimiterToRecord", required=True),
    Parameters=_list(_struct(
        ParameterName=_e("LambdaArn", "NumberOfRetries", "MetadataExtractionQuery",
                         "JsonParsingEngine", "RoleArn", "BufferSizeInMBs",
                         "BufferIntervalInSeconds", "SubRecordType", "Delimiter",
                         "CompressionFormat", "DataMessageExtraction", required=True),
        ParameterValue=_s(1, 5120, r"^(?!\s*$).+", required=True))))))
_S3 = _struct(
    required=True, RoleARN=_s(1, 512, _ROLE_ARN, required=True),
    BucketARN=_s(1, 2048, r"arn:.*:s3:::[\w\.\-]{1,255}", required=True),
    Prefix=_s(0, 1024), ErrorOutputPrefix=_s(0, 1024),
    BufferingHints=_struct(SizeInMBs=_i(1, 128), IntervalInSeconds=_i(0, 900)),
    CompressionFormat=_e("UNCOMPRESSED", "GZIP", "ZIP", "Snappy", "HADOOP_SNAPPY"),
    EncryptionConfiguration=_struct(NoEncryptionConfig=_e("NoEncryption")),
    CloudWatchLoggingOptions=_CLOUDWATCH)
_INDEX_DESTINATION = _struct(
    RoleARN=_s(1, 512, _ROLE_ARN, required=True),
    DomainARN=_s(1, 512, r"arn:.*:es:[a-zA-Z0-9\-]+:\d{12}:domain/[a-z][-0-9a-z]{2,27}"),
    ClusterEndpoint=_s(1, 512, r"https:.*"), IndexName=_s(1, 80, required=True),
    TypeName=_s(0, 100), IndexRotationPeriod=_e(*ROTATIONS),
    BufferingHints=_struct(IntervalInSeconds=_i(0, 900), SizeInMBs=_i(1, 100)),
    RetryOptions=_RETRY, S3BackupMode=_e("FailedDocumentsOnly", "AllDocuments"),
    S3Configuration=_S3, ProcessingConfiguration=_PROCESSING,
    CloudWatchLoggingOptions=_CLOUDWATCH,
    DocumentIdOptions=_struct(DefaultDocumentIdFormat=_e("FIREHOSE_DEFAULT", "NO_DOCUMENT_ID",
                                                         required=True)))
_SPLUNK_DESTINATION = _struct(
    HECEndpoint=_s(0, 2048, required=True), HECEndpointType=_e("Raw", "Event", required=True),
    HECToken=_s(0, 2048), HECAcknowledgmentTimeoutInSeconds=_i(180, 600),
    RetryOptions=_RETRY, S3BackupMode=_e("FailedEventsOnly", "AllEvents"),
    S3Configuration=_S3, ProcessingConfiguration=_PROCESSING,
    CloudWatchLoggingOptions=_CLOUDWATCH,
    BufferingHints=_struct(IntervalInSeconds=_i(0, 60), SizeInMBs=_i(1, 5)))
_TAG_VALUE = r"^[\p{L}\p{Z}\p{N}_.:\/=+\-@%]*$"
#: CreateDeliveryStream's request.
CREATE = _struct(
    DeliveryStreamName=_STREAM_NAME,
    DeliveryStreamType=_e("DirectPut", "KinesisStreamAsSource", "MSKAsSource",
                          "DatabaseAsSource"),
    DirectPutSourceConfiguration=_struct(ThroughputHintInMBs=_i(1, 100, required=True)),
    **{ELASTICSEARCH: _INDEX_DESTINATION, OPENSEARCH: _INDEX_DESTINATION,
       SPLUNK_CONFIGURATION: _SPLUNK_DESTINATION},
    Tags=_list(_struct(Key=_s(1, 128, r"^(?!aws:)[\p{L}\p{Z}\p{N}_.:\/=+\-@%]*$",
                              required=True), Value=_s(0, 256, _TAG_VALUE)), 1, 50))
_RECORD = _struct(Data=Shape("blob", True, 0, MAX_RECORD_BYTES))
PUT_RECORD = _struct(DeliveryStreamName=_STREAM_NAME, Record=Shape(
    "structure", True, members=_RECORD.members))
PUT_RECORD_BATCH = _struct(DeliveryStreamName=_STREAM_NAME,
                           Records=_list(_RECORD, 1, MAX_BATCH_RECORDS, required=True))
#: The other operations' requests.
DESCRIBE = _struct(DeliveryStreamName=_STREAM_NAME, Limit=_i(1, 10000),
                   ExclusiveStartDestinationId=_s(1, 100, r"[a-zA-Z0-9-]+"))
LIST = _struct(Limit=_i(1, 10000), DeliveryStreamType=CREATE.members["DeliveryStreamType"],
               ExclusiveStartDeliveryStreamName=_s(1, 64, r"[a-zA-Z0-9_.-]+"))
DELETE = _struct(DeliveryStreamName=_STREAM_NAME, AllowForceDelete=_BOOLEAN)

_JSON_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str, "blob": str, "boolean": bool, "structure": dict, "list": list}


def validate(body: Any, shape: Shape) -> None:
    """Refuse ``body`` where it breaks ``shape``: SerializationException for a value of the
    wrong JSON type, else ValidationException listing every constraint it fails, in AWS's
    words (member paths in lower camel case, list items numbered from 1)."""
    problems = list(_problems(body, shape, ""))
    if problems:
        count = len(problems)
        raise FirehoseError("ValidationException",
                            f"{count} validation error{'s' if count > 1 else ''} detected: "
                            + "; ".join(problems))


def _problems(value: Any, shape: Shape, path: str) -> Iterator[str]:
    if value is None:
        if shape.required:
            yield f"Value null at '{path}' failed to satisfy constraint: Member must not be null"
        return
    if shape.kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise _serialization(path, "an integer")
    elif not isinstance(value, _JSON_TYPES[shape.kind]):
        raise _serialization(path, {"structure": "an object", "list": "an array",
                                    "boolean": "a boolean"}.get(shape.kind, "a string"))
    if shape.kind == "boolean":
        return
    shown = _shown(value, shape)
    failed = f"Value {shown} at '{path}' failed to satisfy constraint: Member must"
    if shape.kind == "integer":
        if shape.min is not None and value < shape.min:
            yield f"{failed} have value greater than or equal to {shape.min}"
        if shape.max is not None and value > shape.max:
            yield f"{failed} have value less than or equal to {shape.max}"
        return
    if shape.kind == "structure":
        for name, member in shape.members.items():
            yield from _problems(value.get(name), member,
                                 f"{path}.{_camel(name)}" if path else _camel(name))
        return
    size = _blob_size(value) if shape.kind == "blob" else len(value)
    if shape.min is not None and size < shape.min:
        yield f"{failed} have length greater than or equal to {shape.min}"
    if shape.max is not None and size > shape.max:
        yield f"{failed} have length less than or equal to {shape.max}"
    if shape.enum and value not in shape.enum:
        yield f"{failed} satisfy enum value set: [{', '.join(shape.enum)}]"
    if shape.pattern and not _pattern(shape.pattern).fullmatch(value):
        yield f"{failed} satisfy regular expression pattern: {shape.pattern}"
    if shape.kind == "list" and shape.member is not None:
        for number, item in enumerate(value, 1):
            yield from _problems(item, shape.member, f"{path}.{number}.member")


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _shown(value: Any, shape: Shape) -> str:
    """The value as AWS's message quotes it (a blob as Java's ByteBuffer)."""
    if shape.kind == "blob":
        size = _blob_size(value)
        return f"'java.nio.HeapByteBuffer[pos=0 lim={size} cap={size}]'"
    if shape.kind == "structure":
        return "'{...}'"
    if shape.kind == "list":
        return f"'[{len(value)} items]'"
    return f"'{value}'"


def _blob_size(value: str) -> int:
    """The size of base64 data once decoded (the text is checked when it is decoded)."""
    return len(value) * 3 // 4 - value[-2:].count("=")


@functools.cache
def _pattern(pattern: str) -> regex.Pattern[str]:
    """AWS's patterns are Java's: ``regex`` reads their ``\\p{L}`` classes."""
    return regex.compile(pattern)


def _serialization(path: str, expected: str) -> FirehoseError:
    return FirehoseError("SerializationException",
                         f"Expected {expected} at '{path or 'body'}'.")


# -- the stream ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Destination:
    kind: str  # INDEX or SPLUNK
    #: The destination configuration as sent (its secrets, e.g. HECToken, never rendered).
    configuration: dict[str, Any]
    #: BufferingHints (defaults: Firehose's 5 MB / 300 s; Splunk's 5 MB / 60 s).
    size_mb: int
    interval_s: int
    #: RetryOptions.DurationInSeconds (Firehose's defaults: 300 s; Splunk 3600 s).
    retry_s: int
    #: S3BackupMode: FailedDocumentsOnly / AllDocuments (index), FailedEventsOnly / AllEvents.
    backup_mode: str
    s3_configuration: dict[str, Any]
    processing: dict[str, Any] | None
    # INDEX: IndexName, IndexRotationPeriod, TypeName, DocumentIdOptions' format
    index_name: str = ""
    rotation: str = "OneDay"
    type_name: str = ""
    document_ids: bool = True
    # SPLUNK: the HEC endpoint, its type (Raw / Event), token and ack timeout
    hec_endpoint: str = ""
    hec_endpoint_type: str = "Raw"
    hec_token: str = ""
    hec_ack_timeout_s: int = 180
    #: The request member it came in (ELASTICSEARCH, OPENSEARCH or SPLUNK_CONFIGURATION):
    #: DescribeDeliveryStream answers with the matching ``...DestinationDescription``.
    parameter: str = ELASTICSEARCH


@dataclass(frozen=True)
class StreamConfig:
    name: str
    arn: str
    #: ``DirectPut`` (the only source Loghaven has).
    type: str
    destination: Destination
    #: Epoch millis.
    created_ms: int
    #: Firehose's ``VersionId`` ("1", incremented by updates) and ``DestinationId``.
    version_id: str = "1"
    destination_id: str = "destinationId-000000000001"
    tags: list[dict[str, str]] = field(default_factory=list)
    #: The user who created it: deliveries run with that user's permissions (None without
    #: security).
    owner: str | None = None
    #: DirectPutSourceConfiguration.ThroughputHintInMBs, when given (shown, not enforced).
    throughput_hint_mb: int | None = None

    def to_json(self) -> dict[str, Any]:
        """What the metastore keeps (kind ``delivery_stream``)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StreamConfig:
        return cls(**{**data, "destination": Destination(**data["destination"])})


def arn_of(name: str, *, region: str, account: str) -> str:
    return f"arn:aws:firehose:{region}:{account}:deliverystream/{name}"


def parse_create(body: dict[str, Any], *, region: str, account: str, now_ms: int,
                 owner: str | None) -> StreamConfig:
    """A CreateDeliveryStream request, checked: its shape (ValidationException), then what
    Firehose refuses (InvalidArgumentException naming the member); transform.check_processing
    and backup.check_s3_configuration check their parts."""
    validate(body, CREATE)
    name = body["DeliveryStreamName"]
    source = body.get("DeliveryStreamType") or "DirectPut"
    other_source = next((s for s in _OTHER_SOURCES if body.get(s) is not None), None)
    if source != "DirectPut" or other_source:
        raise invalid_argument(
            f"Loghaven takes records only from producers (DeliveryStreamType DirectPut, "
            f"PutRecord and PutRecordBatch): {other_source or source} is not supported.")
    if body.get("DeliveryStreamEncryptionConfigurationInput") is not None:
        raise invalid_argument("DeliveryStreamEncryptionConfigurationInput is not supported: "
                               "Loghaven's buffers are in its data folder, unencrypted.")
    given = [key for key in (ELASTICSEARCH, OPENSEARCH, SPLUNK_CONFIGURATION,
                             *_OTHER_DESTINATIONS) if body.get(key) is not None]
    if len(given) != 1:
        raise invalid_argument("Exactly one destination configuration is supported for a "
                               "Firehose")
    parameter = given[0]
    if parameter in _OTHER_DESTINATIONS:
        raise invalid_argument(
            f"{parameter} is not supported: Loghaven delivers to its own indices "
            f"({ELASTICSEARCH}, {OPENSEARCH}) or to Splunk ({SPLUNK_CONFIGURATION}).")
    configuration = body[parameter]
    destination = _index_destination(parameter, configuration) if parameter != \
        SPLUNK_CONFIGURATION else _splunk_destination(configuration)
    backup.check_s3_configuration(destination.s3_configuration)
    transform.check_processing(destination.processing)
    hint = (body.get("DirectPutSourceConfiguration") or {}).get("ThroughputHintInMBs")
    return StreamConfig(name=name, arn=arn_of(name, region=region, account=account),
                        type="DirectPut", destination=destination, created_ms=now_ms,
                        tags=list(body.get("Tags") or []), owner=owner,
                        throughput_hint_mb=hint)


def _common(kind: str, configuration: dict[str, Any], backup_default: str) -> dict[str, Any]:
    """The members every destination has: buffering, retries, backup, processing."""
    size_mb, interval_s, retry_s = _DEFAULTS[kind]
    hints = configuration.get("BufferingHints") or {}
    return {"kind": kind, "configuration": configuration,
            "size_mb": hints.get("SizeInMBs", size_mb),
            "interval_s": hints.get("IntervalInSeconds", interval_s),
            "retry_s": (configuration.get("RetryOptions") or {}).get("DurationInSeconds",
                                                                     retry_s),
            "backup_mode": configuration.get("S3BackupMode") or backup_default,
            "s3_configuration": configuration["S3Configuration"],
            "processing": configuration.get("ProcessingConfiguration")}


def _index_destination(parameter: str, configuration: dict[str, Any]) -> Destination:
    index_name = configuration["IndexName"]
    try:
        validate_index_name(index_name)
    except InvalidIndexName as exc:
        raise invalid_argument(f"IndexName: {exc.reason}") from None
    ids = (configuration.get("DocumentIdOptions") or {}).get("DefaultDocumentIdFormat")
    return Destination(**_common(INDEX, configuration, "FailedDocumentsOnly"),
                       index_name=index_name,
                       rotation=configuration.get("IndexRotationPeriod") or "OneDay",
                       type_name=configuration.get("TypeName") or "",
                       document_ids=ids != "NO_DOCUMENT_ID", parameter=parameter)


def _splunk_destination(configuration: dict[str, Any]) -> Destination:
    endpoint = configuration["HECEndpoint"]
    if not re.fullmatch(r"https?://[^\s/?#]+[^\s]*", endpoint):
        raise invalid_argument(f"HECEndpoint must be the http(s) URL of a Splunk HTTP Event "
                               f"Collector, not '{endpoint}'.")
    if configuration.get("SecretsManagerConfiguration") is not None:
        raise invalid_argument("SecretsManagerConfiguration is not supported: give the "
                               "HECToken.")
    if not configuration.get("HECToken"):
        raise invalid_argument("HECToken is required: Loghaven sends it as the "
                               "'Authorization: Splunk <token>' of every request.")
    return Destination(**_common(SPLUNK, configuration, "FailedEventsOnly"),
                       hec_endpoint=endpoint,
                       hec_endpoint_type=configuration["HECEndpointType"],
                       hec_token=configuration["HECToken"],
                       hec_ack_timeout_s=configuration.get("HECAcknowledgmentTimeoutInSeconds",
                                                           180),
                       parameter=SPLUNK_CONFIGURATION)


# -- DescribeDeliveryStream ------------------------------------------------------------------


def describe(config: StreamConfig, status: str, metrics: dict[str, Any]) -> dict[str, Any]:
    """``DeliveryStreamDescription`` as DescribeDeliveryStream answers it (status ACTIVE or
    DELETING, the destination rendered as Firehose renders it: ``...DestinationDescription``
    with every default filled in, the HEC token left out), plus Loghaven's
    ``LoghavenMetrics`` (the stream's counters)."""
    destination = config.destination
    description: dict[str, Any] = {
        "DeliveryStreamName": config.name,
        "DeliveryStreamARN": config.arn,
        "DeliveryStreamStatus": status,
        "DeliveryStreamEncryptionConfiguration": {"Status": "DISABLED"},
        "DeliveryStreamType": config.type,
        "VersionId": config.version_id,
        "CreateTimestamp": config.created_ms / 1000,
    }
    if config.throughput_hint_mb is not None:
        description["Source"] = {"DirectPutSourceDescription": {
            "ThroughputHintInMBs": config.throughput_hint_mb}}
    rendered = (_index_description if destination.kind == INDEX
                else _splunk_description)(destination)
    key = destination.parameter.replace("Configuration", "Description")
    description["Destinations"] = [{"DestinationId": config.destination_id, key: rendered}]
    description["HasMoreDestinations"] = False
    description["LoghavenMetrics"] = metrics
    return description


def _described_common(destination: Destination) -> dict[str, Any]:
    configuration = destination.configuration
    s3 = {**_S3_DEFAULTS, **{key: value for key, value in destination.s3_configuration.items()
                             if key in _S3.members}}
    return {
        "BufferingHints": {"IntervalInSeconds": destination.interval_s,
                           "SizeInMBs": destination.size_mb},
        "RetryOptions": {"DurationInSeconds": destination.retry_s},
        "S3BackupMode": destination.backup_mode,
        "S3DestinationDescription": s3,
        "ProcessingConfiguration": destination.processing or {"Enabled": False,
                                                              "Processors": []},
        "CloudWatchLoggingOptions": configuration.get("CloudWatchLoggingOptions")
        or {"Enabled": False},
    }


def _index_description(destination: Destination) -> dict[str, Any]:
    configuration = destination.configuration
    rendered = {key: configuration[key] for key in ("RoleARN", "DomainARN", "ClusterEndpoint")
                if key in configuration}
    rendered["IndexName"] = destination.index_name
    if "TypeName" in configuration:
        rendered["TypeName"] = destination.type_name
    rendered["IndexRotationPeriod"] = destination.rotation
    rendered.update(_described_common(destination))
    rendered["DocumentIdOptions"] = {"DefaultDocumentIdFormat": "FIREHOSE_DEFAULT"
                                     if destination.document_ids else "NO_DOCUMENT_ID"}
    return rendered


def _splunk_description(destination: Destination) -> dict[str, Any]:
    return {"HECEndpoint": destination.hec_endpoint,
            "HECEndpointType": destination.hec_endpoint_type,
            "HECAcknowledgmentTimeoutInSeconds": destination.hec_ack_timeout_s,
            **_described_common(destination)}


# -- PutRecord / PutRecordBatch --------------------------------------------------------------


def put_records(body: dict[str, Any], *, batch: bool) -> tuple[str, list[bytes]]:
    """A PutRecord / PutRecordBatch request's stream name and records' data (base64
    decoded), checked against Firehose's limits: at most 500 records (ValidationException),
    each at most 1,000 KiB (ValidationException), 4 MiB in all (InvalidArgumentException),
    data in base64 (SerializationException)."""
    validate(body, PUT_RECORD_BATCH if batch else PUT_RECORD)
    records = body["Records"] if batch else [body["Record"]]
    data: list[bytes] = []
    total = 0
    for record in records:
        try:
            data.append(base64.b64decode(record["Data"], validate=True))
        except (binascii.Error, ValueError):
            raise FirehoseError("SerializationException",
                                "Base64 encoded data is not valid.") from None
        total += len(data[-1])
    if total > MAX_BATCH_BYTES:
        raise invalid_argument("Records size exceeds 4 MB limit")
    return body["DeliveryStreamName"], data
