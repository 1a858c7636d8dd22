"""``_ingest/pipeline/_simulate``: a pipeline run on the request's documents, nothing written.

As ES's ``SimulatePipelineRequest`` and ``SimulateExecutionService``: ``docs`` (each with
``_source`` and optional metadata, ``_index`` and ``_id`` defaulting to their own names), and
either the stored pipeline named in the path or ``pipeline`` in the body (run as
``_simulate_pipeline``). Each document's result is its final state, ``null`` when dropped, or
its error; with ``verbose``, each processor's result in order.
"""

from __future__ import annotations

import copy
from typing import Any

from loghaven.errors import IllegalArgument, LoghavenError, unexpected_error
from loghaven.ingest.bulk import check_version_type
from loghaven.ingest.pipeline.compile import PropertyReader, compile_pipeline
from loghaven.ingest.pipeline.document import IngestDocument
from loghaven.ingest.pipeline.runner import timestamp
from loghaven.ingest.pipeline.steps import Execution, executing, run_pipeline
from loghaven.ingest.pipeline.store import PipelineStore

SIMULATED_PIPELINE = "_simulate_pipeline"


def simulate(store: PipelineStore, pipeline_id: str | None, body: dict[str, Any],
             verbose: bool) -> dict[str, Any]:
    """The ``_simulate`` response for ``body``."""
    reader = PropertyReader("simulate", None, dict(body))
    if pipeline_id is not None:
        pipeline = store.pipeline(pipeline_id)
        if pipeline is None:
            raise IllegalArgument(f"pipeline [{pipeline_id}] does not exist")
    else:
        pipeline = compile_pipeline(SIMULATED_PIPELINE, reader.mapping("pipeline"))
    docs = reader.list("docs", True)
    if not docs:
        raise IllegalArgument("must specify at least one document in [docs]")
    documents = [_document(doc) for doc in docs]
    results = []
    for document in documents:
        trace: list[dict[str, Any]] | None = [] if verbose else None
        with executing(Execution(store.pipeline, trace)):
            try:
                done = run_pipeline(pipeline, document)
                error = None
            except Exception as exc:  # the document's failure is its result
                error = exc if isinstance(exc, LoghavenError) else unexpected_error(exc)
        if trace is not None:
            results.append({"processor_results": [_render_result(r) for r in trace]})
        elif error is not None:
            results.append({"error": error.to_body()["error"]})
        else:
            results.append({"doc": None if done is None else render(done)})
    return {"docs": results}


def _document(doc: Any) -> IngestDocument:
    """One of ``docs``, as ES's ``SimulatePipelineRequest.parseDocs`` reads it."""
    if not isinstance(doc, dict):
        raise IllegalArgument("malformed [docs] section, should include an inner object")
    reader = PropertyReader("simulate", None, dict(doc))
    source = reader.mapping("_source")
    metadata: dict[str, Any] = {"_index": reader.string("_index", "_index"),
                                "_id": reader.string("_id", "_id")}
    routing = reader.string("_routing", None)
    if routing is not None:
        metadata["_routing"] = routing
    for key in ("_version", "_if_seq_no", "_if_primary_term"):
        value = doc.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise IllegalArgument(f"Failed to parse parameter [{key}], only int or long is "
                                  f"accepted")
        metadata[key] = value
    version_type = reader.string("_version_type", None)
    if version_type is not None:
        metadata["_version_type"] = check_version_type(version_type)
    return IngestDocument(copy.deepcopy(source), metadata, {"timestamp": timestamp()})


def render(document: IngestDocument) -> dict[str, Any]:
    """A document as ES's ``WriteableIngestDocument``: metadata (as strings), ``_source``,
    ``_ingest``."""
    body: dict[str, Any] = {key: str(value) for key, value in document.metadata().items()}
    body["_source"] = document.source()
    body["_ingest"] = document.ingest
    return body


def _render_result(result: dict[str, Any]) -> dict[str, Any]:
    if "doc" in result:
        result["doc"] = render(result["doc"])
    return result
