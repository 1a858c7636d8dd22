"""A stream's backups in object storage, in Firehose's layout: all delivered records
(``S3BackupMode`` AllDocuments / AllEvents) and the records that failed, each kind under
its error output prefix (``elasticsearch-failed/``, ``splunk-failed/``,
``processing-failed/``), in objects named
``<prefix>YYYY/MM/DD/HH/<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<random>`` (UTC), with
``!{timestamp:...}`` and ``!{firehose:...}`` expressions in custom prefixes, and ``.gz`` when
``CompressionFormat`` is GZIP. Failed records are JSON lines in Firehose's shapes
(``attemptsMade``, ``arrivalTimestamp``, ``errorCode``, ``errorMessage``,
``attemptEndingTimestamp``, ``rawData`` base64, plus ``esDocumentId``/``esIndexName``/
``esTypeName``, ``EventId`` or ``lambdaArn``), so tools written for Firehose's backups read
them unchanged.

CONTRACT (issue 17; the objects helper implements it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loghaven.storage.objects import ObjectStore

#: The error output types (``!{firehose:error-output-type}``).
ELASTICSEARCH_FAILED = "elasticsearch-failed"
SPLUNK_FAILED = "splunk-failed"
PROCESSING_FAILED = "processing-failed"


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


def check_s3_configuration(configuration: dict[str, Any]) -> None:
    """Refuse an ``S3Configuration`` Loghaven cannot honour (no BucketARN, an ARN that is not
    ``arn:aws:s3:::<bucket>``, an unknown CompressionFormat, a bad prefix expression) with
    Firehose's InvalidArgumentException (streams/errors.py)."""
    raise NotImplementedError


class Backup:
    def __init__(self, store: ObjectStore, configuration: dict[str, Any], *,
                 stream_name: str, version_id: str) -> None:
        """``configuration`` is the stream's ``S3Configuration`` (BucketARN, Prefix,
        ErrorOutputPrefix, CompressionFormat)."""
        raise NotImplementedError

    def write_records(self, records: list[bytes], now_ms: int) -> str:
        """One object of records as delivered (concatenated as Firehose does); its key.
        Raises storage.objects.ObjectStoreError."""
        raise NotImplementedError

    def write_failed(self, records: list[FailedRecord], output_type: str, now_ms: int) -> str:
        """One object of failed records (JSON lines) under ``output_type``'s prefix; its key."""
        raise NotImplementedError
