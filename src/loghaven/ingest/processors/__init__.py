"""Ingest processors, one module per family; each registers its types with
:func:`loghaven.ingest.pipeline.processor.processor_type`."""

from loghaven.ingest.processors import dates, geoip, network, user_agent  # noqa: F401
