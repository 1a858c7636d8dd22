"""What the field processors share: ES's typed field reads and its string-processor shape.

Elasticsearch reads a processor's input with ``getFieldValue(field, String.class,
ignoreMissing)``: a missing field is the document's path error unless ``ignore_missing``, a
value of another type is a cast error, and a null is ``field [x] is null, cannot process
it.``. ``AbstractStringProcessor`` (lowercase, trim, gsub, bytes, ...) adds lists of strings
and ``target_field``. Each processor module uses these instead of spelling them out again.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from loghaven.errors import IllegalArgument
from loghaven.ingest.pipeline.document import IngestDocument
from loghaven.ingest.pipeline.processor import Processor, ProcessorConfig
from loghaven.scripting.evaluate import type_name
from loghaven.scripting.java_text import java_str

STRING = "java.lang.String"
LIST = "java.util.List"
MAP = "java.util.Map"
_KINDS = {STRING: str, LIST: list, MAP: dict}


def cast_error(field: str, value: Any, kind: str) -> IllegalArgument:
    return IllegalArgument(f"field [{field}] of type [{type_name(value)}] cannot be cast to "
                           f"[{kind}]")


def read(document: IngestDocument, field: str, kind: str | None = None,
         ignore_missing: bool = False) -> Any:
    """``getFieldValue(field, kind, ignoreMissing)``: None when missing and ignored, or null."""
    value = document.get(field, ignore_missing=ignore_missing)
    if value is not None and kind is not None and not isinstance(value, _KINDS[kind]):
        raise cast_error(field, value, kind)
    return value


def read_present(document: IngestDocument, field: str, kind: str | None,
                 ignore_missing: bool, action: str = "process it") -> Any:
    """The value to process, or None when ``ignore_missing`` skips a missing or null field;
    a null otherwise fails with ``field [x] is null, cannot <action>.``."""
    value = read(document, field, kind, ignore_missing)
    if value is None and not ignore_missing:
        raise IllegalArgument(f"field [{field}] is null, cannot {action}.")
    return value


class StringProcessor(Processor):
    """ES's AbstractStringProcessor: ``field`` (a string or a list of strings) transformed
    into ``target_field`` (default: the field itself)."""

    def __init__(self, config: ProcessorConfig) -> None:
        super().__init__(config.tag)
        self.field = config.string("field")
        self.ignore_missing = config.boolean("ignore_missing", False)
        self.target_field = config.string("target_field", self.field)
        self.configure(config)
        config.finish()

    def configure(self, config: ProcessorConfig) -> None:
        """Read the options of the processor type beyond the common ones."""

    @abstractmethod
    def process(self, value: str) -> Any:
        """The new value of one string."""

    def execute(self, document: IngestDocument) -> IngestDocument:
        value = read_present(document, self.field, None, self.ignore_missing)
        if value is None:
            return document
        if isinstance(value, list):
            result: Any = []
            for item in value:
                if not isinstance(item, str):
                    raise IllegalArgument(f"value [{java_str(item)}] of type "
                                          f"[{type_name(item)}] in list field [{self.field}] "
                                          f"cannot be cast to [{STRING}]")
                result.append(self.process(item))
        elif isinstance(value, str):
            result = self.process(value)
        else:
            raise cast_error(self.field, value, STRING)
        document.set(self.target_field, result)
        return document
