"""Delivery streams in the metastore (kind ``delivery_stream``, by stream name).

A record keeps the stream's configuration (``StreamConfig.to_json``) and its *stream id*: a
random id drawn once at creation, the prefix of the document ids its deliveries write
(``<stream id>-<seq>``). A stream deleted and created again under the same name gets a new
id, so its records are never taken for the old stream's documents.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from loghaven.storage.metastore import Metastore
from loghaven.streams.model import StreamConfig

KIND = "delivery_stream"


@dataclass(frozen=True)
class StoredStream:
    stream_id: str
    config: StreamConfig


def new_stream_id() -> str:
    return uuid.uuid4().hex[:16]


class StreamStore:
    def __init__(self, metastore: Metastore) -> None:
        self.metastore = metastore

    def all(self) -> dict[str, StoredStream]:
        return {name: _read(record) for name, record in self.metastore.list(KIND).items()}

    def get(self, name: str) -> StoredStream | None:
        record = self.metastore.get(KIND, name)
        return None if record is None else _read(record)

    def put(self, stored: StoredStream) -> None:
        self.metastore.put(KIND, stored.config.name, {"stream_id": stored.stream_id,
                                                      "config": stored.config.to_json()})

    def delete(self, name: str) -> None:
        self.metastore.delete(KIND, name)


def _read(record: dict[str, object]) -> StoredStream:
    config = record["config"]
    assert isinstance(config, dict)
    return StoredStream(str(record["stream_id"]), StreamConfig.from_json(config))
