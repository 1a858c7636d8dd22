"""Array processors: ``split`` a string into a list, ``join`` a list into a string, ``sort``
a list."""

from __future__ import annotations

from typing import Any

from loghaven.errors import IllegalArgument
from loghaven.ingest import java
from loghaven.ingest.pipeline.document import IngestDocument
from loghaven.ingest.pipeline.processor import Processor, ProcessorConfig, processor_type
from loghaven.ingest.processors.fields import LIST, STRING, read_present
from loghaven.scripting.evaluate import type_name
from loghaven.scripting.java_text import java_str


@processor_type("split")
class Split(Processor):
    """``String.split(separator)``: trailing empty items are dropped unless
    ``preserve_trailing``."""

    type = "split"

    def __init__(self, config: ProcessorConfig) -> None:
        super().__init__(config.tag)
        self.field = config.string("field")
        separator = config.string("separator")
        try:
            self.separator: Any = java.compile_regex(separator) if len(separator) > 1 \
                else separator
        except IllegalArgument as error:
            raise config.error("separator", error.reason) from None
        self.ignore_missing = config.boolean("ignore_missing", False)
        self.preserve_trailing = config.boolean("preserve_trailing", False)
        self.target_field = config.string("target_field", self.field)
        config.finish()

    def execute(self, document: IngestDocument) -> IngestDocument:
        value = read_present(document, self.field, STRING, self.ignore_missing, "split")
        if value is None:
            return document
        limit = -1 if self.preserve_trailing else 0
        document.set(self.target_field, java.split(value, self.separator, limit))
        return document


@processor_type("join")
class Join(Processor):
    """Join a list's items (as Java's toString) with ``separator``."""

    type = "join"

    def __init__(self, config: ProcessorConfig) -> None:
        super().__init__(config.tag)
        self.field = config.string("field")
        self.separator = config.string("separator")
        self.target_field = config.string("target_field", self.field)
        config.finish()

    def execute(self, document: IngestDocument) -> IngestDocument:
        items = read_present(document, self.field, LIST, False, "join")
        document.set(self.target_field, self.separator.join(java_str(i) for i in items))
        return document


@processor_type("sort")
class Sort(Processor):
    """Sort a list (numbers, or strings in Java's UTF-16 code unit order)."""

    type = "sort"

    def __init__(self, config: ProcessorConfig) -> None:
        super().__init__(config.tag)
        self.field = config.string("field")
        self.target_field = config.string("target_field", self.field)
        order = config.string("order", "asc")
        if order not in ("asc", "desc"):
            raise config.error("order", f"Sort direction [{order}] not recognized. Valid "
                                        f"values are: [asc, desc]")
        self.descending = order == "desc"
        config.finish()

    def execute(self, document: IngestDocument) -> IngestDocument:
        items = read_present(document, self.field, LIST, False, "sort")
        if len(items) > 1:
            kinds = {_comparable_kind(item) for item in items}
            if len(kinds) > 1:
                first = type_name(items[0])
                other = next(type_name(i) for i in items if _comparable_kind(i)
                             != _comparable_kind(items[0]))
                raise IllegalArgument(f"class {other} cannot be cast to class {first}")
            key = (lambda s: s.encode("utf-16-be")) if kinds == {"string"} else None
            items = sorted(items, key=key, reverse=self.descending)
        document.set(self.target_field, items)
        return document


def _comparable_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number:" + type_name(value)
    if isinstance(value, str):
        return "string"
    return type_name(value)
