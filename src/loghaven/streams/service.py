"""The node's delivery streams: their API (the Firehose edge and later the UI call it), their
buffers and their delivery jobs (one scheduler job per stream, pool ``streams``).

CONTRACT (issue 17; the streams helper implements it, the firehose helper calls it).
Request and response bodies are Firehose's JSON (streams/model.py reads and renders them);
errors are FirehoseError.
"""

from __future__ import annotations

from typing import Any


class StreamService:
    def start(self) -> None:
        """Open every stream's buffer and schedule its delivery (called by Node.start);
        records buffered before a restart are delivered, none twice."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def create(self, body: dict[str, Any], owner: str | None) -> dict[str, Any]:
        """CreateDeliveryStream → ``{"DeliveryStreamARN": ...}``."""
        raise NotImplementedError

    def describe(self, body: dict[str, Any]) -> dict[str, Any]:
        """DescribeDeliveryStream → ``{"DeliveryStreamDescription": ...}``."""
        raise NotImplementedError

    def list(self, body: dict[str, Any]) -> dict[str, Any]:
        """ListDeliveryStreams (Limit, ExclusiveStartDeliveryStreamName,
        DeliveryStreamType) → ``{"DeliveryStreamNames": [...], "HasMoreDeliveryStreams"}``."""
        raise NotImplementedError

    def delete(self, body: dict[str, Any]) -> dict[str, Any]:
        """DeleteDeliveryStream → ``{}``; records still buffered are dropped with the
        stream, as Firehose does (AllowForceDelete is accepted)."""
        raise NotImplementedError

    def put_record(self, body: dict[str, Any]) -> dict[str, Any]:
        """PutRecord → ``{"RecordId": ..., "Encrypted": false}`` once the record is durable
        in the stream's buffer."""
        raise NotImplementedError

    def put_record_batch(self, body: dict[str, Any]) -> dict[str, Any]:
        """PutRecordBatch → ``{"FailedPutCount", "Encrypted", "RequestResponses"}``: each
        record's RecordId, or its ErrorCode/ErrorMessage (ServiceUnavailableException when
        the buffer is at its bound)."""
        raise NotImplementedError

    def stats(self) -> dict[str, Any]:
        """Every stream's metrics for ``_nodes/stats`` (``streams``: by name)."""
        raise NotImplementedError
