"""What the stream tests share: CreateDeliveryStream bodies as Firehose takes them, a node of
the test's own, puts, waits, and reading what a stream delivered and backed up."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson

from conftest import free_port
from loghaven.config import Config
from loghaven.node import Node

ACCOUNT = "000000000000"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/firehose_delivery_role"
DOMAIN = f"arn:aws:es:us-east-1:{ACCOUNT}:domain/loghaven"


def index_stream(name: str, *, index: str = "awswaf", rotation: str = "OneDay",
                 interval: int = 1, size_mb: int = 1, retry: int = 2,
                 mode: str = "FailedDocumentsOnly", bucket: str = "backups",
                 processing: dict[str, Any] | None = None,
                 document_ids: bool = True) -> dict[str, Any]:
    """A CreateDeliveryStream request to an index of the node, as the seed's WAF setup."""
    destination: dict[str, Any] = {
        "RoleARN": ROLE, "DomainARN": DOMAIN, "IndexName": index,
        "IndexRotationPeriod": rotation,
        "BufferingHints": {"IntervalInSeconds": interval, "SizeInMBs": size_mb},
        "RetryOptions": {"DurationInSeconds": retry}, "S3BackupMode": mode,
        "S3Configuration": {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}"}}
    if processing is not None:
        destination["ProcessingConfiguration"] = processing
    if not document_ids:
        destination["DocumentIdOptions"] = {"DefaultDocumentIdFormat": "NO_DOCUMENT_ID"}
    return {"DeliveryStreamName": name, "DeliveryStreamType": "DirectPut",
            "ElasticsearchDestinationConfiguration": destination}


def splunk_stream(name: str, endpoint: str, *, token: str = "tok-1", kind: str = "Raw",
                  interval: int = 1, retry: int = 2, ack_timeout: int = 180,
                  bucket: str = "backups", mode: str = "FailedEventsOnly") -> dict[str, Any]:
    return {"DeliveryStreamName": name, "DeliveryStreamType": "DirectPut",
            "SplunkDestinationConfiguration": {
                "HECEndpoint": endpoint, "HECEndpointType": kind, "HECToken": token,
                "HECAcknowledgmentTimeoutInSeconds": ack_timeout,
                "BufferingHints": {"IntervalInSeconds": interval, "SizeInMBs": 1},
                "RetryOptions": {"DurationInSeconds": retry}, "S3BackupMode": mode,
                "S3Configuration": {"RoleARN": ROLE,
                                    "BucketARN": f"arn:aws:s3:::{bucket}"}}}


def lambda_processing(url: str) -> dict[str, Any]:
    """A ProcessingConfiguration whose Lambda is the http(s) function at ``url``."""
    return {"Enabled": True, "Processors": [{"Type": "Lambda", "Parameters": [
        {"ParameterName": "LambdaArn", "ParameterValue": url},
        {"ParameterName": "NumberOfRetries", "ParameterValue": "0"}]}]}


def batch(name: str, records: list[bytes]) -> dict[str, Any]:
    """A PutRecordBatch body as boto3 sends it (Data base64-encoded)."""
    return {"DeliveryStreamName": name,
            "Records": [{"Data": base64.b64encode(data).decode()} for data in records]}


def record(name: str, data: bytes) -> dict[str, Any]:
    return {"DeliveryStreamName": name, "Record": {"Data": base64.b64encode(data).decode()}}


def today(base: str, moment: float | None = None) -> str:
    """The daily index Firehose's OneDay rotation names for now (UTC)."""
    when = datetime.fromtimestamp(time.time() if moment is None else moment, UTC)
    return f"{base}-{when:%Y-%m-%d}"


@contextmanager
def running_node(data: Path, **settings: Any) -> Iterator[Node]:
    """A started node of the test's own on ``data`` (no ingest workers), closed after."""
    node = Node(Config(data_dir=data, ingest_workers=0, ingest_parsers_install=False,
                       **settings))
    node.start()
    try:
        yield node
    finally:
        node.close()


def documents(node: Node, index: str) -> dict[str, dict[str, Any]]:
    """Every document of ``index`` by ``_id`` (refreshed first); {} if it does not exist."""
    if index not in node.catalog.indices:
        return {}
    node.catalog.get(index).refresh()
    answer = node.search_service.search(index, {"size": 10000}, {})
    return {hit["_id"]: orjson.loads(orjson.dumps(hit["_source"])) for hit in answer["hits"]["hits"]}


def metrics(node: Node, name: str) -> dict[str, Any]:
    return node.streams.stats()[name]


def backups(node: Node, bucket: str, prefix: str = "") -> list[tuple[str, bytes]]:
    """The objects of ``bucket`` under ``prefix``: (key, content)."""
    store = node.object_store
    try:
        return [(info.key, store.get(bucket, info.key)) for info in store.list(bucket, prefix)]
    except Exception:  # no such bucket yet
        return []


def failed_lines(content: bytes) -> list[dict[str, Any]]:
    """A failed-records backup object's JSON lines."""
    return [orjson.loads(line) for line in content.splitlines() if line.strip()]


def raw(line: dict[str, Any]) -> bytes:
    return base64.b64decode(line["rawData"])


@contextmanager
def http_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """``handler`` answering on a free loopback port (a transform function, a HEC): its URL."""
    port = free_port()
    httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def reply(handler: BaseHTTPRequestHandler, status: int, body: Any) -> None:
    """Answer a request with ``body`` as JSON."""
    data = orjson.dumps(body)
    handler.send_response(status)
    handler.send_header("content-type", "application/json")
    handler.send_header("content-length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)
