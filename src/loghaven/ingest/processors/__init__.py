"""Ingest processors, one module per family; each registers its types with
:func:`loghaven.ingest.pipeline.processor.processor_type`."""

from loghaven.ingest.processors import (
    control,  # noqa: F401
    fields,  # noqa: F401
)
