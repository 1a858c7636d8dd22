"""The ingest pipeline hook of the write path: which pipelines a write runs through, and
running them on its document.

Elasticsearch runs a document through the request's pipeline (the ``pipeline`` URL
parameter or bulk action-line key), or else the index's ``index.default_pipeline``, then the
index's ``index.final_pipeline``; ``_none`` names no pipeline. Pipelines run on index and
create requests and on the document an update may index (``upsert``, or ``doc`` with
``doc_as_upsert``). The document's metadata after its pipelines (``_index``, ``_id``,
``_version``, ``_version_type``) is the write's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from loghaven.engine.documents_state import WriteRequest
from loghaven.ingest.pipeline.document import IngestDocument
from loghaven.ingest.pipeline.runner import (
    NO_PIPELINE,
    FinalOf,
    Job,
    execute,
    resume,
    serialize,
    source_map,
    timestamp,
)
from loghaven.ingest.pipeline.store import PipelineStore

#: A write's pipelines: (the requested or default one, the final one), either None.
Pipelines = tuple[str | None, str | None]


def pipeline_ids(requested: str | None, settings: Mapping[str, str] | None) -> Pipelines:
    """The pipelines a write runs through; ``settings`` are the target index's flat
    settings (``None`` while the index does not exist yet)."""
    settings = settings or {}
    first = requested if requested is not None else settings.get("index.default_pipeline")
    final = settings.get("index.final_pipeline")
    return (first if first != NO_PIPELINE else None,
            final if final != NO_PIPELINE else None)


def ingestible(request: WriteRequest) -> bool:
    """Whether a write carries a document its pipelines run on."""
    if request.op in ("index", "create"):
        return request.source is not None
    if request.op == "update":
        body = request.update or {}
        return "upsert" in body or bool(body.get("doc_as_upsert"))
    return False


def metadata(request: WriteRequest, index: str) -> dict[str, Any]:
    """The metadata a pipeline sees in ``ctx`` for ``request`` sent to ``index``."""
    fields: dict[str, Any] = {"_index": index}
    if request.doc_id is not None:
        fields["_id"] = request.doc_id
    if request.version is not None:
        fields["_version"] = request.version
    if request.version_type is not None:
        fields["_version_type"] = request.version_type
    return fields


def job(pipelines: Pipelines, request: WriteRequest, index: str) -> Job:
    """What an ingest worker needs to run ``request``'s pipelines (index and create)."""
    assert request.source is not None
    return pipelines[0], pipelines[1], request.source, metadata(request, index)


def run_pipelines(pipelines: Pipelines, request: WriteRequest, index: str,
                  store: PipelineStore, final_of: FinalOf) -> str | None:
    """Run ``request``'s document through its pipelines, in place: the index it goes to
    now, or None when a processor dropped it. A failure raises the document's error."""
    body = request.update or {}
    key = "doc" if body.get("doc_as_upsert") else "upsert"  # ES's getIndexWriteRequest
    source = source_map(request.source) if request.op != "update" else dict(body[key])
    document = IngestDocument(source, metadata(request, index), {"timestamp": timestamp()})
    done = execute(store.pipeline, pipelines[0], pipelines[1], document, final_of)
    if done is None:
        return None
    result = done.source()
    if request.op == "update":
        request.update = {**body, key: result}
    else:
        request.source = serialize(done)
        request.parsed = result
    return apply_metadata(request, done.metadata(), index)


def resume_rerouted(request: WriteRequest, source: bytes, fields: dict[str, Any],
                    ingest: dict[str, Any], store: PipelineStore,
                    final_of: FinalOf) -> str | None:
    """Go on with an index or create whose first pipeline, run by an ingest worker, sent its
    document (``source`` with the metadata ``fields`` and ``_ingest``) to another index:
    that index's final pipeline, in place as :func:`run_pipelines`."""
    document = IngestDocument(source_map(source), fields, ingest)
    done = resume(store.pipeline, document, final_of)
    if done is None:
        return None
    request.source = serialize(done)
    request.parsed = done.source()
    return apply_metadata(request, done.metadata(), str(fields["_index"]))


def apply_metadata(request: WriteRequest, fields: Mapping[str, Any], index: str) -> str:
    """Take a processed document's metadata into ``request``; the index it goes to."""
    if "_id" in fields:
        request.doc_id = str(fields["_id"])
    if "_version" in fields:
        request.version = int(fields["_version"])
    if "_version_type" in fields:
        request.version_type = str(fields["_version_type"])
    return str(fields.get("_index", index))

