"""Ingest processors, one module per family; each registers its types with
:func:`loghaven.ingest.pipeline.processor.processor_type`."""

from loghaven.ingest.processors import control as control
from loghaven.ingest.processors import field_edits as field_edits
