"""Ingest pipelines: documents as processors see them, processor configuration, the registry
of processor types (processors live in ``ingest/processors/``)."""
