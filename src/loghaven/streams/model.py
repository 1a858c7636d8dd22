"""Delivery streams as Firehose defines them: the CreateDeliveryStream request checked and
read into a :class:`StreamConfig`, the DeliveryStreamDescription rendered back, and the
PutRecord/PutRecordBatch requests checked against Firehose's limits (500 records, 4 MiB per
call, 1,000 KiB per record), with Firehose's error codes and messages (streams/errors.py).

CONTRACT (issue 17; the firehose helper implements it, the streams helper uses it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Destinations Loghaven delivers to: an index of this node (the Elasticsearch and OpenSearch
#: destination configurations are the same to it) or a Splunk HEC endpoint.
INDEX, SPLUNK = "index", "splunk"
#: Firehose's limits.
MAX_BATCH_RECORDS = 500
MAX_BATCH_BYTES = 4 * 1024 * 1024
MAX_RECORD_BYTES = 1000 * 1024


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

    def to_json(self) -> dict[str, Any]:
        """What the metastore keeps (kind ``delivery_stream``)."""
        raise NotImplementedError

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StreamConfig:
        raise NotImplementedError


def parse_create(body: dict[str, Any], *, region: str, account: str, now_ms: int,
                 owner: str | None) -> StreamConfig:
    """A CreateDeliveryStream request, checked (InvalidArgumentException naming the field, as
    Firehose words it); transform.check_processing and backup.check_s3_configuration check
    their parts."""
    raise NotImplementedError


def describe(config: StreamConfig, status: str, metrics: dict[str, Any]) -> dict[str, Any]:
    """``DeliveryStreamDescription`` as DescribeDeliveryStream answers it (status ACTIVE or
    DELETING, destinations rendered as Firehose renders them: ``...DestinationDescription``,
    secrets left out), plus Loghaven's ``LoghavenMetrics`` (the stream's counters)."""
    raise NotImplementedError


def put_records(body: dict[str, Any], *, batch: bool) -> tuple[str, list[bytes]]:
    """A PutRecord / PutRecordBatch request's stream name and records' data (base64
    decoded), checked against Firehose's limits."""
    raise NotImplementedError
