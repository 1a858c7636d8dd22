"""The ingest pipeline hook: which pipelines a document runs through, and running them.

Elasticsearch runs a document through the request's pipeline (the ``pipeline`` URL
parameter or bulk action-line key), or else the index's ``index.default_pipeline``, then the
index's ``index.final_pipeline``; ``_none`` names no pipeline. Loghaven has no pipelines yet,
so a write that names one fails as ES fails for a missing pipeline, rather than being stored
unprocessed. :func:`run_pipelines` is the function real pipelines replace.
"""

from __future__ import annotations

from collections.abc import Mapping

from loghaven.engine.documents_state import WriteRequest
from loghaven.errors import IllegalArgument

#: The pipeline name that means "no pipeline" (ES's ``IngestService.NOOP_PIPELINE_NAME``).
NO_PIPELINE = "_none"


def pipeline_ids(requested: str | None, settings: Mapping[str, str] | None) -> tuple[str, ...]:
    """The pipelines a write runs through, in order; ``settings`` are the target index's flat
    settings (``None`` while the index does not exist yet)."""
    settings = settings or {}
    first = requested if requested is not None else settings.get("index.default_pipeline")
    final = settings.get("index.final_pipeline")
    return tuple(p for p in (first, final) if p and p != NO_PIPELINE)


def run_pipelines(ids: tuple[str, ...], request: WriteRequest) -> None:
    """Run ``request``'s document through the pipelines ``ids``, in place.

    No pipeline exists yet: the first one named is missing, with ES's error.
    """
    for pipeline_id in ids:
        raise IllegalArgument(f"pipeline with id [{pipeline_id}] does not exist")
