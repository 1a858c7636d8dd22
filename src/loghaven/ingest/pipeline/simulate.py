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
from loghaven.ingest.pipeline.compile import compile_pipeline
from loghaven.ingest.pipeline.document import IngestDocument
from loghaven.ingest.pipeline.processor import ConfigurationError
from loghaven.ingest.pipeline.runner import timestamp
from loghaven.ingest.pipeline.steps import Execution, executing, run_pipeline
from loghaven.ingest.pipeline.store import PipelineStore

SIMULATED_PIPELINE = "_simulate_pipeline"
_DOC_METADATA = ("_index", "_id", "_routing", "_version", "_version_type", "_if_seq_no",
                 "_if_primary_term")


def _missing(name: str) -> ConfigurationError:
    return ConfigurationError(f"[{name}] required property is missing", property_name=name)


def simulate(store: PipelineStore, pipeline_id: str | None, body: dict[str, Any],
             verbose: bool) -> dict[str, Any]:
    """The ``_simulate`` response for ``body``."""
    if pipeline_id is not None:
        pipeline = store.pipeline(pipeline_id)
        if pipeline is None:
            raise IllegalArgument(f"pipeline [{pipeline_id}] does not exist")
    else:
        if "pipeline" not in body or body["pipeline"] is None:
            raise _missing("pipeline")
        pipeline = compile_pipeline(SIMULATED_PIPELINE, body["pipeline"])
    docs = body.get("docs")
    if docs is None:
        raise _missing("docs")
    if not isinstance(docs, list):
        raise ConfigurationError("[docs] property isn't a list, but of type "
                                 f"[{type(docs).__name__}]", property_name="docs")
    results = []
    for doc in docs:
        document = _document(doc)
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
    if not isinstance(doc, dict):
        raise ConfigurationError("[docs] property isn't a list of maps")
    source = doc.get("_source")
    if source is None:
        raise _missing("_source")
    if not isinstance(source, dict):
        raise ConfigurationError(f"[_source] property isn't a map, but of type "
                                 f"[{type(source).__name__}]", property_name="_source")
    metadata = {key: doc[key] for key in _DOC_METADATA if doc.get(key) is not None}
    metadata.setdefault("_index", "_index")
    metadata.setdefault("_id", "_id")
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
