"""The ``grok`` processor: named captures of grok expressions into fields (the engine is
``loghaven.ingest.grok``)."""

from __future__ import annotations

from loghaven.errors import IllegalArgument
from loghaven.ingest.grok import ECS_MODES, compile_grok
from loghaven.ingest.pipeline.document import IngestDocument
from loghaven.ingest.pipeline.processor import Processor, ProcessorConfig, processor_type
from loghaven.ingest.processors.fields import STRING, read_present
from loghaven.scripting.java_text import java_str

#: Where ``trace_match`` records the index of the pattern that matched.
MATCH_INDEX = "_ingest._grok_match_index"


@processor_type("grok")
class Grok(Processor):
    """The first of ``patterns`` that matches ``field`` sets its captures; none matching
    is an error."""

    type = "grok"

    def __init__(self, config: ProcessorConfig) -> None:
        super().__init__(config.tag)
        self.field = config.string("field")
        self.patterns = config.strings("patterns")
        self.trace_match = config.boolean("trace_match", False)
        self.ignore_missing = config.boolean("ignore_missing", False)
        ecs = config.string("ecs_compatibility", "disabled")
        if ecs not in ECS_MODES:
            raise config.error("ecs_compatibility", f"unsupported mode '{ecs}'")
        if not self.patterns:
            raise config.error("patterns", "List of patterns must not be empty")
        definitions = config.mapping("pattern_definitions", None)
        config.finish()
        if definitions is not None:
            definitions = {name: java_str(value) for name, value in definitions.items()}
        try:
            self.grok = compile_grok(self.patterns, definitions, ecs, self.trace_match)
        except IllegalArgument as error:
            if error.reason.startswith(("circular reference detected", "pattern [")):
                raise
            patterns = "[" + ", ".join(self.patterns) + "]"
            raise config.error("patterns", f"Invalid regex pattern found in: {patterns}. "
                                           f"{error.reason}") from None

    def execute(self, document: IngestDocument) -> IngestDocument:
        text = read_present(document, self.field, STRING, self.ignore_missing)
        if text is None:
            return document
        captures = self.grok.match(text)
        if captures is None:
            raise IllegalArgument(f"Provided Grok expressions do not match field value: "
                                  f"[{text}]")
        index = None
        for field, value in captures.items():
            if field.startswith(MATCH_INDEX + "."):
                index = field[len(MATCH_INDEX) + 1:]
            else:
                document.set(field, value)
        if self.trace_match:
            document.set(MATCH_INDEX, index if len(self.patterns) > 1 else "0")
        return document
