"""The node's delivery streams: their API (the Firehose edge and later the UI call it), their
buffers and their delivery jobs (one scheduler job per stream, pool ``streams``).

Request and response bodies are Firehose's JSON (streams/model.py reads and renders them);
errors are FirehoseError. A stream is its metastore record (streams/store.py), its buffer at
``<data>/streams/<name>/`` and its job ``streams.<name>``, which runs every
:data:`POLL_SECONDS` to see whether a flush is due (streams/delivery.py) and at once when a
put fills the buffer to the size hint (``Scheduler.run_soon``). A put is answered only once
its records are appended and fsynced; a full buffer (``streams.buffer.max_bytes``) answers
ServiceUnavailableException, which producers back off from and retry.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loghaven.config import Config
from loghaven.engine.dates.durations import parse_duration_ms
from loghaven.ingest.service import WriteService
from loghaven.scheduler import Every, Scheduler
from loghaven.security.service import SecurityService
from loghaven.security.subject import INTERNAL, Subject
from loghaven.storage.metastore import Metastore
from loghaven.storage.objects import ObjectStore
from loghaven.streams import errors, model
from loghaven.streams.backup import Backup
from loghaven.streams.buffer import BufferFull, StreamBuffer
from loghaven.streams.delivery import Delivery
from loghaven.streams.errors import FirehoseError
from loghaven.streams.metrics import StreamMetrics
from loghaven.streams.model import StreamConfig
from loghaven.streams.outgoing import Destination
from loghaven.streams.store import StoredStream, StreamStore, new_stream_id
from loghaven.streams.to_index import IndexDestination
from loghaven.streams.to_splunk import SplunkDestination
from loghaven.streams.transform import Transformation, pipeline_runner

log = logging.getLogger("loghaven.streams")

POOL = "streams"
JOB_PREFIX = "streams."
#: How often a stream's job looks whether its oldest record has waited IntervalInSeconds.
POLL_SECONDS = 0.5
#: ListDeliveryStreams' default Limit.
LIST_DEFAULT = 10


@dataclass
class _Stream:
    stored: StoredStream
    buffer: StreamBuffer
    delivery: Delivery
    metrics: StreamMetrics

    @property
    def config(self) -> StreamConfig:
        return self.stored.config

    @property
    def job(self) -> str:
        return JOB_PREFIX + self.config.name


class StreamService:
    def __init__(self, config: Config, metastore: Metastore, scheduler: Scheduler,
                 write_service: WriteService, security: SecurityService,
                 objects: ObjectStore, *, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.store = StreamStore(metastore)
        self.scheduler = scheduler
        self.write_service = write_service
        self.security = security
        self.objects = objects
        self.folder = config.data_dir / "streams"
        self._clock = clock
        self._transform_timeout_s = parse_duration_ms(
            config.streams_transform_timeout, "streams.transform.timeout") / 1000
        self._streams: dict[str, _Stream] = {}
        #: Creation and deletion one at a time; puts only read ``_streams``.
        self._lock = threading.Lock()
        scheduler.add_pool(POOL, config.streams_workers)

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Open every stream's buffer and schedule its delivery (called by Node.start);
        records buffered before a restart are delivered, none twice. A buffer folder whose
        stream was deleted before a crash is removed."""
        stored = self.store.all()
        with self._lock:
            for name, record in sorted(stored.items()):
                try:
                    self._open(record)
                except Exception:  # one broken stream must not keep the node from starting
                    log.exception("stream %s could not be opened", name)
        if self.folder.is_dir():
            for path in self.folder.iterdir():
                if path.is_dir() and path.name not in stored:
                    log.warning("removing the buffer of deleted stream %s", path.name)
                    shutil.rmtree(path, ignore_errors=True)

    def close(self) -> None:
        """Stop the deliveries (the scheduler has stopped their jobs) and close the buffers;
        what is still buffered is delivered after the next start."""
        with self._lock:
            streams = list(self._streams.values())
            self._streams.clear()
        for stream in streams:
            stream.delivery.halt.set()
        for stream in streams:
            with stream.delivery.lock:
                stream.delivery.destination.close()
                stream.buffer.close()

    # --- the API -------------------------------------------------------------------------

    def create(self, body: dict[str, Any], owner: str | None) -> dict[str, Any]:
        """CreateDeliveryStream → ``{"DeliveryStreamARN": ...}``."""
        config = model.parse_create(body, region=self.config.streams_region,
                                    account=self.config.streams_account_id,
                                    now_ms=self._now_ms(), owner=owner)
        if config.name in (".", ".."):  # the name of its buffer's folder
            raise errors.invalid_argument(f"Invalid DeliveryStreamName: {config.name}")
        with self._lock:
            if config.name in self._streams or self.store.get(config.name) is not None:
                raise errors.in_use(f"Firehose {config.name} under accountId "
                                    f"{self.config.streams_account_id} already exists")
            stored = StoredStream(new_stream_id(), config)
            shutil.rmtree(self._buffer_folder(config.name), ignore_errors=True)
            self.store.put(stored)
            try:
                self._open(stored)
            except Exception:
                self.store.delete(config.name)
                raise
        log.info("stream %s created (%s destination)", config.name, config.destination.kind)
        return {"DeliveryStreamARN": config.arn}

    def describe(self, body: dict[str, Any]) -> dict[str, Any]:
        """DescribeDeliveryStream → ``{"DeliveryStreamDescription": ...}``."""
        model.validate(body, model.DESCRIBE)
        stream = self._named(body["DeliveryStreamName"])
        return {"DeliveryStreamDescription": model.describe(stream.config, "ACTIVE",
                                                            self._metrics(stream))}

    def list(self, body: dict[str, Any]) -> dict[str, Any]:
        """ListDeliveryStreams (Limit, ExclusiveStartDeliveryStreamName,
        DeliveryStreamType) → ``{"DeliveryStreamNames": [...], "HasMoreDeliveryStreams"}``."""
        model.validate(body, model.LIST)
        limit = body.get("Limit", LIST_DEFAULT)
        start = body.get("ExclusiveStartDeliveryStreamName")
        kind = body.get("DeliveryStreamType")
        with self._lock:
            names = sorted(name for name, stream in self._streams.items()
                           if kind is None or stream.config.type == kind)
        if start is not None:
            names = [name for name in names if name > start]
        return {"DeliveryStreamNames": names[:limit],
                "HasMoreDeliveryStreams": len(names) > limit}

    def delete(self, body: dict[str, Any]) -> dict[str, Any]:
        """DeleteDeliveryStream → ``{}``; records still buffered are dropped with the
        stream, as Firehose does (AllowForceDelete is accepted)."""
        model.validate(body, model.DELETE)
        name = body["DeliveryStreamName"]
        with self._lock:
            stream = self._streams.pop(name, None)
            if stream is None:
                raise errors.not_found(name, self.config.streams_account_id)
            self.scheduler.remove(stream.job)
            stream.delivery.halt.set()
            self.store.delete(name)  # a crash from here on: start() removes the folder
            with stream.delivery.lock:  # a flush in progress stops at its next wait
                stream.delivery.destination.close()
                stream.buffer.destroy()
        log.info("stream %s deleted", name)
        return {}

    def put_record(self, body: dict[str, Any]) -> dict[str, Any]:
        """PutRecord → ``{"RecordId": ..., "Encrypted": false}`` once the record is durable
        in the stream's buffer; the RecordId is the record's document ``_id``."""
        name, records = model.put_records(body, batch=False)
        stream = self._named(name)
        seqs = self._append(stream, records)
        return {"RecordId": self._record_id(stream, seqs[0]), "Encrypted": False}

    def put_record_batch(self, body: dict[str, Any]) -> dict[str, Any]:
        """PutRecordBatch → ``{"FailedPutCount", "Encrypted", "RequestResponses"}``: each
        record's RecordId, or its ErrorCode/ErrorMessage (ServiceUnavailableException when
        the buffer is at its bound). The batch is appended whole or not at all."""
        name, records = model.put_records(body, batch=True)
        stream = self._named(name)
        try:
            seqs = self._append(stream, records)
        except FirehoseError as error:
            return {"FailedPutCount": len(records), "Encrypted": False,
                    "RequestResponses": [{"ErrorCode": error.code, "ErrorMessage": error.reason}
                                         for _ in records]}
        return {"FailedPutCount": 0, "Encrypted": False,
                "RequestResponses": [{"RecordId": self._record_id(stream, seq)}
                                     for seq in seqs]}

    def stats(self) -> dict[str, Any]:
        """Every stream's metrics for ``_nodes/stats`` (``streams``: by name)."""
        with self._lock:
            streams = sorted(self._streams.values(), key=lambda s: s.config.name)
        return {stream.config.name: self._metrics(stream) for stream in streams}

    # --- streams -------------------------------------------------------------------------

    def _open(self, stored: StoredStream) -> None:
        config = stored.config
        buffer = StreamBuffer(self._buffer_folder(config.name),
                              max_bytes=self.config.streams_buffer_max_bytes)
        try:
            metrics = StreamMetrics()
            transformation = Transformation(
                config.destination.processing, timeout_s=self._transform_timeout_s,
                run_pipeline=pipeline_runner(self.write_service.pipelines),
                stream_arn=config.arn, region=self.config.streams_region,
                destination=config.destination.kind)
            backup = Backup(self.objects, config.destination.s3_configuration,
                            stream_name=config.name, version_id=config.version_id)
            delivery = Delivery(config, stored.stream_id, buffer, transformation,
                                self._destination(config), backup, metrics, clock=self._clock)
        except Exception:
            buffer.close()
            raise
        stream = _Stream(stored, buffer, delivery, metrics)
        self._streams[config.name] = stream
        self.scheduler.add(stream.job, delivery.run, Every(POLL_SECONDS), pool=POOL)

    def _destination(self, config: StreamConfig) -> Destination:
        if config.destination.kind == model.SPLUNK:
            return SplunkDestination(config.destination)
        return IndexDestination(self.write_service, config.destination,
                                lambda: self._owner(config))

    def _owner(self, config: StreamConfig) -> Subject:
        """Deliveries act as the stream's creator, with their current roles, as monitors
        run as theirs; the node itself with security off."""
        if not self.security.enabled or not config.owner:
            return INTERNAL
        return self.security.subject_of(config.owner)

    def _append(self, stream: _Stream, records: list[bytes]) -> list[int]:
        """Append and fsync ``records``; ServiceUnavailableException when the buffer is at its
        bound or cannot be written (a full disk): nothing was appended, the producer retries."""
        try:
            seqs = stream.buffer.append(records, self._now_ms())
        except (BufferFull, OSError) as error:
            stream.metrics.add(rejected_records=len(records))
            if isinstance(error, BufferFull):
                raise errors.unavailable() from error
            raise errors.unavailable(f"The stream's buffer could not be written: "
                                     f"{error.strerror or error}") from error
        stream.metrics.add(incoming_records=len(records),
                           incoming_bytes=sum(len(record) for record in records))
        if (stream.buffer.stats().get("bytes") or 0) >= stream.delivery.size_bytes:
            self.scheduler.run_soon(stream.job)
        return seqs

    def _record_id(self, stream: _Stream, seq: int) -> str:
        return f"{stream.stored.stream_id}-{seq}"

    def _metrics(self, stream: _Stream) -> dict[str, Any]:
        return stream.metrics.render(stream.buffer.stats(), self._now_ms())

    def _named(self, name: str) -> _Stream:
        stream = self._streams.get(name)
        if stream is None:
            raise errors.not_found(name, self.config.streams_account_id)
        return stream

    def _buffer_folder(self, name: str) -> Path:
        return self.folder / name

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)
