"""A stream's delivery to an index of this node, as Firehose delivers to OpenSearch.

Each record becomes a ``create`` of one document, with the record's idempotent ``_id``
(``<stream id>-<seq>``), in the index the rotation names for the record's arrival time; the
writes go through the write service like a ``_bulk`` (the index's default and final
pipelines, templates, automatic creation, access checks) acting as the stream's owner. A
``create`` answered 409 means that an earlier attempt, before a crash or a lost answer,
already wrote the document: it counts as delivered, so a record is never indexed twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from loghaven.engine.documents_state import WriteRequest
from loghaven.errors import LoghavenError, unexpected_error
from loghaven.ingest.bulk import BulkItem
from loghaven.ingest.rotation import rotated_index
from loghaven.ingest.service import WriteService
from loghaven.security import context
from loghaven.security.subject import Subject
from loghaven.streams.backup import ELASTICSEARCH_FAILED
from loghaven.streams.model import Destination
from loghaven.streams.outgoing import Failure, Outgoing, Wait

#: The action the deliveries' writes act as, as a ``_bulk`` request's.
WRITE_ACTION = "indices:data/write/bulk"
#: Refusals that another attempt may get past: a closed index (opened again), an index not
#: found (automatic creation off), denied (roles changed); 429 and 5xx always.
_RETRIABLE_STATUSES = {403, 404, 408, 429}
_RETRIABLE_TYPES = {"index_closed_exception", "cluster_block_exception"}


class IndexDestination:
    output_type = ELASTICSEARCH_FAILED

    def __init__(self, write_service: WriteService, destination: Destination,
                 owner: Callable[[], Subject]) -> None:
        self.write_service = write_service
        self.destination = destination
        self.owner = owner

    def index_of(self, record: Outgoing) -> str:
        return rotated_index(self.destination.index_name, self.destination.rotation,
                             record.arrival_ms)

    def send(self, records: list[Outgoing], wait: Wait) -> list[Failure | None]:
        items = [BulkItem("create", self.index_of(record),
                          WriteRequest(op="create", doc_id=record.record_id, source=record.data))
                 for record in records]
        try:
            with context.acting(self.owner(), WRITE_ACTION):
                results = self.write_service.write_items(items)
        except LoghavenError as error:  # the owner is gone, ...: the whole batch failed
            return [failure_of(error)] * len(records)
        except Exception as error:  # a bug must not hold the stream: retried, then backed up
            return [failure_of(unexpected_error(error))] * len(records)
        return [None if not isinstance(outcome, LoghavenError) or outcome.status == 409
                else failure_of(outcome) for _, outcome in results]

    def backup_fields(self, record: Outgoing) -> dict[str, Any]:
        return {"esDocumentId": record.record_id or "", "esIndexName": self.index_of(record),
                "esTypeName": self.destination.type_name}

    def close(self) -> None:
        pass


def failure_of(error: LoghavenError) -> Failure:
    """A write's error as Firehose's OpenSearch backups record it: the status as the
    ``errorCode``, the error object as the ``errorMessage``."""
    retriable = (error.status >= 500 or error.status in _RETRIABLE_STATUSES
                 or error.type in _RETRIABLE_TYPES)
    return Failure(str(error.status), orjson.dumps(error.to_cause()).decode(), retriable)
