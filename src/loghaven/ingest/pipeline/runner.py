"""Running a document through its pipelines, as ES's ``IngestService.executePipelines``.

A document runs through its first pipeline (the request's, or the index's default) and then
the index's final pipeline. When a pipeline sends it to another index (``_index``), the
pipelines left are dropped and the new index's final pipeline runs instead; a final pipeline
may not change the index. The outcome is the document, None (dropped), or the error that
fails this document alone.

:func:`run_batch` is the same for many documents in an ingest worker process
(ingest/workers.py): it gets the pipeline definitions with their revisions and compiles each
once per worker; a document whose index changes comes back marked :data:`REROUTED` as its
first pipeline left it, and the server, which knows the other index's settings, goes on with
that index's final pipeline (:func:`resume`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson

import loghaven.ingest.processors  # noqa: F401  (fills the processor registry)
from loghaven.errors import IllegalArgument, LoghavenError, ParseFailure, unexpected_error
from loghaven.ingest.pipeline.compile import compile_pipeline
from loghaven.ingest.pipeline.document import IngestDocument
from loghaven.ingest.pipeline.steps import (
    Execution,
    IllegalState,
    Pipeline,
    executing,
    run_pipeline,
)

#: The pipeline name that means "no pipeline" (ES's ``IngestService.NOOP_PIPELINE_NAME``).
NO_PIPELINE = "_none"
#: A worker's answer for a document that moved to another index.
REROUTED = "rerouted"
Lookup = Callable[[str], Pipeline | None]
FinalOf = Callable[[str], str | None]


class _Rerouted(Exception):
    """Raised in a worker, which cannot know another index's final pipeline."""


def timestamp() -> str:
    """``_ingest.timestamp``: when the document entered ingest, ISO 8601 in UTC."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def source_map(source: bytes) -> dict[str, Any]:
    """A document's source as the object processors work on."""
    try:
        parsed = orjson.loads(source)
    except orjson.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict):
        raise ParseFailure("Failed to parse content to map")
    return parsed


def execute(lookup: Lookup, first: str | None, final: str | None, document: IngestDocument,
            final_of: FinalOf | None) -> IngestDocument | None:
    """Run ``document`` through ``first`` then ``final`` (either may be None), re-routing
    as ES does; ``final_of(index)`` names an index's final pipeline."""
    queue: list[tuple[str, bool]] = []
    if first and first != NO_PIPELINE:
        queue.append((first, False))
    if final and final != NO_PIPELINE:
        queue.append((final, True))
    with executing(Execution(lookup)):
        while queue:
            pipeline_id, is_final = queue.pop(0)
            pipeline = lookup(pipeline_id)
            if pipeline is None:
                raise IllegalArgument(f"pipeline with id [{pipeline_id}] does not exist")
            original = document.fields.get("_index")
            if run_pipeline(pipeline, document) is None:
                return None
            changed = document.fields.get("_index")
            if changed != original:
                if is_final:
                    raise IllegalState(f"final pipeline [{pipeline_id}] can't change the "
                                       f"target index")
                if final_of is None:
                    raise _Rerouted
                queue = []
                new_final = final_of(str(changed))
                if new_final and new_final != NO_PIPELINE:
                    queue = [(new_final, True)]
    return document


def resume(lookup: Lookup, document: IngestDocument,
           final_of: FinalOf) -> IngestDocument | None:
    """Go on with a document whose first pipeline (run in a worker) sent it to another
    index: that index's final pipeline, as :func:`execute` would have run it."""
    return execute(lookup, None, final_of(str(document.fields.get("_index"))), document,
                   final_of)


# -- in an ingest worker --

_compiled: dict[str, tuple[int, Pipeline]] = {}
#: One document's job: first and final pipeline, its source, its metadata.
Job = tuple[str | None, str | None, bytes, dict[str, Any]]


def run_batch(definitions: dict[str, tuple[int, dict[str, Any]]],
              jobs: list[Job]) -> list[Any]:
    """Each job's outcome: its processed document, None (dropped), the error that fails it,
    or ``(REROUTED, document)`` for a document its first pipeline sent to another index."""

    def lookup(pipeline_id: str) -> Pipeline | None:
        found = definitions.get(pipeline_id)
        if found is None:
            return None
        revision, definition = found
        cached = _compiled.get(pipeline_id)
        if cached is None or cached[0] != revision:
            cached = _compiled[pipeline_id] = (revision, compile_pipeline(pipeline_id,
                                                                          definition))
        return cached[1]

    results: list[Any] = []
    for first, final, source, metadata in jobs:
        try:
            document = IngestDocument(source_map(source), metadata, {"timestamp": timestamp()})
            results.append(execute(lookup, first, final, document, None))
        except _Rerouted:
            results.append((REROUTED, document))
        except Exception as exc:  # one document's failure, reported as its item's error
            results.append(exc if isinstance(exc, LoghavenError) else unexpected_error(exc))
    return results


def serialize(document: IngestDocument, source: dict[str, Any] | None = None) -> bytes:
    """A processed document's source (``source``: its :meth:`~IngestDocument.source`, when
    the caller has it) as JSON; a value JSON cannot hold fails the document."""
    try:
        return orjson.dumps(document.source() if source is None else source)
    except orjson.JSONEncodeError as exc:
        raise IllegalArgument(f"Failed to generate the source document for ingest pipeline "
                              f"[{document.ingest.get('pipeline', '')}] for document "
                              f"[{document.fields.get('_index')}/{document.fields.get('_id')}]: "
                              f"{exc}") from None


def error_data(error: LoghavenError) -> tuple[Any, ...]:
    """An error as plain data, to cross processes (:func:`error_of` rebuilds it)."""
    return "error", error.type, error.reason, error.status, error.extra


def error_of(outcome: tuple[Any, ...]) -> LoghavenError:
    """The error a worker reported, rebuilt."""
    _, type_name, reason, status, extra = outcome
    return LoghavenError(reason, type=type_name, status=status, **extra)
