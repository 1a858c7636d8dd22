"""Processors that steer a document: ``pipeline`` (run another), ``drop``, ``fail``,
``foreach`` (a processor over each element, as ``_ingest._value``) and ``script`` (Painless
over ``ctx``, with the scripting package's limits)."""

from __future__ import annotations

from typing import Any

from loghaven.errors import IllegalArgument, LoghavenError
from loghaven.ingest.pipeline.compile import read_processor, read_script
from loghaven.ingest.pipeline.document import IngestDocument
from loghaven.ingest.pipeline.processor import Processor, ProcessorConfig, processor_type
from loghaven.ingest.pipeline.steps import IllegalState, current, run_pipeline, run_step
from loghaven.ingest.pipeline.template import Template
from loghaven.scripting.evaluate import type_name

_MISSING = object()


class FailProcessorError(LoghavenError):
    """ES's ``FailProcessorException``: the ``fail`` processor's message."""

    type = "fail_processor_exception"
    status = 500


@processor_type("pipeline")
class PipelineProcessor(Processor):
    """Run the pipeline ``name`` (templated) on the document."""

    type = "pipeline"

    def __init__(self, config: ProcessorConfig) -> None:
        super().__init__(config.tag)
        self.name = Template(config.string("name"))
        self.ignore_missing_pipeline = config.boolean("ignore_missing_pipeline", False)

    def execute(self, document: IngestDocument) -> IngestDocument | None:
        name = self.name.render(document)
        pipeline = current().lookup(name)
        if pipeline is None:
            if self.ignore_missing_pipeline:
                return document
            raise IllegalState(f"Pipeline processor configured for non-existent pipeline "
                               f"[{name}]")
        return run_pipeline(pipeline, document)


@processor_type("drop")
class DropProcessor(Processor):
    """Drop the document: it is not indexed, and the write answers ``noop``."""

    type = "drop"

    def __init__(self, config: ProcessorConfig) -> None:
        super().__init__(config.tag)

    def execute(self, document: IngestDocument) -> None:
        return None


@processor_type("fail")
class FailProcessor(Processor):
    """Fail the document with ``message`` (templated)."""

    type = "fail"

    def __init__(self, config: ProcessorConfig) -> None:
        super().__init__(config.tag)
        self.message = Template(config.string("message"))

    def execute(self, document: IngestDocument) -> IngestDocument:
        raise FailProcessorError(self.message.render(document))


@processor_type("foreach")
class ForeachProcessor(Processor):
    """Run ``processor`` on each element of the list ``field``, seen as ``_ingest._value``;
    the elements are replaced by what the processor left there."""

    type = "foreach"

    def __init__(self, config: ProcessorConfig) -> None:
        super().__init__(config.tag)
        self.field = config.string("field")
        self.ignore_missing = config.boolean("ignore_missing", False)
        inner = config.mapping("processor")
        if len(inner) != 1:
            raise config.error("processor", "[processor] Must specify exactly one processor "
                                            "type")
        (type_name, options), = inner.items()
        self.step = read_processor(type_name, options)

    def execute(self, document: IngestDocument) -> IngestDocument | None:
        values = document.get(self.field, ignore_missing=self.ignore_missing)
        if values is None:
            if self.ignore_missing:
                return document
            raise IllegalArgument(f"field [{self.field}] is null, cannot loop over its "
                                  f"elements.")
        if not isinstance(values, list):
            raise IllegalArgument(f"field [{self.field}] of type [{type_name(values)}] cannot "
                                  f"be cast to [java.util.List]")
        previous = document.ingest.get("_value", _MISSING)
        results: list[Any] = []
        try:
            for value in values:
                document.ingest["_value"] = value
                if run_step(self.step, document) is None:
                    return None
                results.append(document.ingest.get("_value"))
        finally:
            if previous is _MISSING:
                document.ingest.pop("_value", None)
            else:
                document.ingest["_value"] = previous
        document.set(self.field, results)
        return document


@processor_type("script")
class ScriptProcessor(Processor):
    """Run an inline Painless script over ``ctx`` (source fields and metadata), with
    ``params``; its changes to ``ctx`` are the document's."""

    type = "script"

    def __init__(self, config: ProcessorConfig) -> None:
        super().__init__(config.tag)
        if "id" in config.options and "source" in config.options:
            raise config.error(None, "Only one of [id] or [source] may be configured")
        if "id" not in config.options and "source" not in config.options:
            raise config.error(None, "Need [id] or [source] for script processor")
        options = {k: config.options.pop(k) for k in ("source", "id", "lang", "params")
                   if k in config.options}
        self.script, self.params = read_script(config, "source", options)

    def execute(self, document: IngestDocument) -> IngestDocument:
        self.script.execute({"ctx": document.fields, "params": self.params})
        return document
