"""A stream's backups in object storage, in Firehose's layout, so tools written for Firehose's
backups read them unchanged.

What is written:

- **All records** (``S3BackupMode`` AllDocuments / AllEvents): every source record as it was
  put, before any transformation, the records of one delivery concatenated without
  delimiters (as Firehose writes S3 objects), under ``Prefix``.
- **Failed records**, in every mode: one JSON object per line in Firehose's shape
  (``attemptsMade``, ``arrivalTimestamp``, ``errorCode``, ``errorMessage``,
  ``attemptEndingTimestamp``, ``rawData`` base64 of the record, plus ``esDocumentId``/
  ``esIndexName``/``esTypeName`` for an index, ``EventId`` for Splunk, ``lambdaArn`` for a
  transformation), under the error output prefix of their kind: ``elasticsearch-failed``
  (or ``AmazonOpenSearchService-failed``), ``splunk-failed``, ``processing-failed``.

Where (Firehose's rules, "Custom prefixes for Amazon S3 objects"):

- An object is ``<evaluated prefix><stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid>``, ``.gz``
  added (and the object gzipped) when ``CompressionFormat`` is GZIP. Times are UTC; the
  prefix's is the arrival of the oldest record in the object, the name's is the write.
- ``Prefix`` may hold ``!{timestamp:<DateTimeFormatter pattern>}`` and
  ``!{firehose:random-string}`` (streams/prefixes.py); without a ``timestamp`` expression
  ``yyyy/MM/dd/HH/`` is appended to it (so no prefix means ``2026/12/04/10/``).
- ``ErrorOutputPrefix`` must contain ``!{firehose:error-output-type}`` if it has expressions;
  it may be left out only when ``Prefix`` has none, and failed records then go under
  ``<Prefix><error-output-type>/yyyy/MM/dd/HH/``.
- Neither evaluates to more than 512 characters.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from loghaven.engine.dates import get_pattern
from loghaven.storage.objects import ObjectStore, ObjectStoreError, check_bucket, check_key
from loghaven.streams import prefixes
from loghaven.streams.errors import FirehoseError, invalid_argument

#: The error output types (``!{firehose:error-output-type}``).
ELASTICSEARCH_FAILED = "elasticsearch-failed"
#: What Firehose names the failures of an ``AmazonopensearchserviceDestinationConfiguration``.
OPENSEARCH_FAILED = "AmazonOpenSearchService-failed"
SPLUNK_FAILED = "splunk-failed"
PROCESSING_FAILED = "processing-failed"
OUTPUT_TYPES = (ELASTICSEARCH_FAILED, OPENSEARCH_FAILED, SPLUNK_FAILED, PROCESSING_FAILED)

#: Firehose's limit on an evaluated prefix.
MAX_PREFIX_CHARS = 512
#: botocore's BucketARN pattern (firehose/2015-08-04/service-2.json).
_BUCKET_ARN = re.compile(r"^arn:[a-z-]+:s3:::([\w.\-]{1,255})$")
COMPRESSION_FORMATS = ("UNCOMPRESSED", "GZIP", "ZIP", "Snappy", "HADOOP_SNAPPY")
SUPPORTED_COMPRESSION = ("UNCOMPRESSED", "GZIP")
_DEFAULT_TIME = "!{timestamp:yyyy/MM/dd/HH/}"
#: The time in an object's name.
_NAME_TIME = get_pattern("yyyy-MM-dd-HH-mm-ss")


@dataclass(frozen=True)
class FailedRecord:
    attempts: int
    arrival_ms: int
    error_code: str
    error_message: str
    ending_ms: int
    raw: bytes
    #: The destination's own fields: esDocumentId, esIndexName, esTypeName / EventId /
    #: lambdaArn.
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self, output_type: str) -> dict[str, Any]:
        """Firehose's field order: an index's fields come before ``rawData``, the others
        after it."""
        head = {"attemptsMade": self.attempts, "arrivalTimestamp": self.arrival_ms,
                "errorCode": self.error_code, "errorMessage": self.error_message,
                "attemptEndingTimestamp": self.ending_ms}
        raw = {"rawData": base64.b64encode(self.raw).decode()}
        if output_type in (ELASTICSEARCH_FAILED, OPENSEARCH_FAILED):
            return {**head, **self.extra, **raw}
        return {**head, **raw, **self.extra}


@dataclass(frozen=True)
class _Layout:
    bucket: str
    prefix: prefixes.Prefix
    error_prefix: prefixes.Prefix
    gzip: bool


def _constraint(text: str) -> FirehoseError:
    # Firehose's own wording, typo included ("Ths supplied prefix(es) do not satisfy the
    # following constraint: ErrorOutputPrefix cannot be null or empty when Prefix contains
    # expressions"), so scripts that match it keep working.
    return invalid_argument(f"Ths supplied prefix(es) do not satisfy the following "
                            f"constraint: {text}")


def _layout(configuration: dict[str, Any]) -> _Layout:
    if not isinstance(configuration, dict):
        raise invalid_argument("S3Configuration must be an object with a BucketARN")
    arn = configuration.get("BucketARN")
    if not arn:
        raise invalid_argument("S3Configuration.BucketARN is required")
    match = _BUCKET_ARN.match(str(arn))
    if not match:
        raise invalid_argument(
            f"1 validation error detected: Value '{arn}' at 'S3Configuration.bucketARN' failed "
            r"to satisfy constraint: Member must satisfy regular expression pattern: "
            r"arn:.*:s3:::[\w\.\-]{1,255}")
    bucket = match.group(1)
    try:
        check_bucket(bucket)
    except ObjectStoreError as e:
        raise invalid_argument(f"BucketARN {arn}: {e}") from None
    compression = configuration.get("CompressionFormat") or "UNCOMPRESSED"
    if compression not in COMPRESSION_FORMATS:
        raise invalid_argument(
            f"1 validation error detected: Value '{compression}' at "
            "'S3Configuration.compressionFormat' failed to satisfy constraint: Member must "
            f"satisfy enum value set: [{', '.join(COMPRESSION_FORMATS)}]")
    if compression not in SUPPORTED_COMPRESSION:
        raise invalid_argument(f"CompressionFormat {compression} is not supported by Loghaven "
                               f"backups: use {' or '.join(SUPPORTED_COMPRESSION)}")

    prefix_text = str(configuration.get("Prefix") or "")
    error_text = str(configuration.get("ErrorOutputPrefix") or "")
    try:
        prefix, used = prefixes.parse(prefix_text)
        error_prefix, error_used = prefixes.parse(error_text)
    except ValueError as e:
        raise _constraint(str(e)) from None
    if f"firehose:{prefixes.ERROR_OUTPUT_TYPE}" in used:
        raise _constraint("Prefix cannot contain !{firehose:error-output-type}")
    if used and not error_text:
        raise _constraint("ErrorOutputPrefix cannot be null or empty when Prefix contains "
                          "expressions")
    if error_used and f"firehose:{prefixes.ERROR_OUTPUT_TYPE}" not in error_used:
        raise _constraint("ErrorOutputPrefix must contain !{firehose:error-output-type} when "
                          "it contains expressions")
    if "timestamp" not in used:
        prefix, _ = prefixes.parse(prefix_text + _DEFAULT_TIME)
    if not error_text:
        error_prefix, _ = prefixes.parse(
            prefix_text + "!{firehose:error-output-type}/" + _DEFAULT_TIME)
    return _Layout(bucket, prefix, error_prefix, compression == "GZIP")


def check_s3_configuration(configuration: dict[str, Any]) -> None:
    """Refuse an ``S3Configuration`` Loghaven cannot honour (no BucketARN, an ARN that is not
    ``arn:aws:s3:::<bucket>``, a CompressionFormat other than UNCOMPRESSED and GZIP, a prefix
    that breaks Firehose's rules or evaluates to a key no store can hold) with Firehose's
    InvalidArgumentException (streams/errors.py)."""
    layout = _layout(configuration)
    now = int(time.time() * 1000)
    for name, prefix, output_type in (("Prefix", layout.prefix, ""),
                                      ("ErrorOutputPrefix", layout.error_prefix,
                                       PROCESSING_FAILED)):
        evaluated = prefix.evaluate(now, output_type)
        if len(evaluated) > MAX_PREFIX_CHARS:
            raise _constraint(f"{name} cannot be greater than {MAX_PREFIX_CHARS} characters "
                              "after it is evaluated")
        try:
            check_key(evaluated + "stream-1-2026-01-01-00-00-00-uuid")
        except ObjectStoreError as e:
            raise invalid_argument(f"{name} [{evaluated}] cannot name objects: {e}") from None


class Backup:
    def __init__(self, store: ObjectStore, configuration: dict[str, Any], *,
                 stream_name: str, version_id: str) -> None:
        """``configuration`` is the stream's ``S3Configuration`` (BucketARN, Prefix,
        ErrorOutputPrefix, CompressionFormat), checked by :func:`check_s3_configuration`."""
        self.store = store
        self.layout = _layout(configuration)
        self.stream_name = stream_name
        self.version_id = version_id

    @property
    def bucket(self) -> str:
        return self.layout.bucket

    def write_records(self, records: list[bytes], now_ms: int,
                      arrival_ms: int | None = None) -> str:
        """One object of records as delivered (concatenated as Firehose does); its key.
        ``arrival_ms`` is the oldest record's arrival (the prefix's time; ``now_ms`` without
        it). Raises storage.objects.ObjectStoreError."""
        if not records:
            raise ValueError("no records to back up")
        when = arrival_ms if arrival_ms is not None else now_ms
        return self._write(self.layout.prefix.evaluate(when), b"".join(records), now_ms)

    def write_failed(self, records: list[FailedRecord], output_type: str, now_ms: int) -> str:
        """One object of failed records (JSON lines) under ``output_type``'s prefix; its key.
        Raises storage.objects.ObjectStoreError."""
        if output_type not in OUTPUT_TYPES:
            raise ValueError(f"unknown error output type [{output_type}]")
        if not records:
            raise ValueError("no failed records to back up")
        oldest = min(record.arrival_ms for record in records)
        lines = b"".join(json.dumps(record.to_json(output_type), separators=(",", ":"),
                                    ensure_ascii=False).encode() + b"\n" for record in records)
        prefix = self.layout.error_prefix.evaluate(oldest, output_type)
        return self._write(prefix, lines, now_ms)

    def _write(self, prefix: str, data: bytes, now_ms: int) -> str:
        stamp = _NAME_TIME(now_ms)
        key = f"{prefix}{self.stream_name}-{self.version_id}-{stamp}-{uuid.uuid4()}"
        if self.layout.gzip:
            key += ".gz"
            data = gzip.compress(data, mtime=now_ms // 1000)
        self.store.put(self.layout.bucket, key, data)
        return key

