"""The ``dot_expander`` processor: a field named ``a.b`` becomes the object path ``a.b``,
so that later processors (and scripts) can reach it."""

from __future__ import annotations

from typing import Any

from loghaven.errors import IllegalArgument
from loghaven.ingest.pipeline.document import IngestDocument
from loghaven.ingest.pipeline.processor import Processor, ProcessorConfig, processor_type
from loghaven.ingest.processors.fields import MAP, read


@processor_type("dot_expander")
class DotExpander(Processor):
    """Expand ``field`` (or every dotted top-level name with ``*``) inside ``path`` (default:
    the document root); an existing value is appended to unless ``override``."""

    type = "dot_expander"

    def __init__(self, config: ProcessorConfig) -> None:
        super().__init__(config.tag)
        self.field = config.string("field")
        if self.field != "*":
            if "." not in self.field:
                raise config.error("field", "field does not contain a dot and is not a "
                                            "wildcard")
            if self.field.startswith(".") or self.field.endswith("."):
                raise config.error("field", "Field can't start or end with a dot")
            if ".." in self.field:
                raise config.error("field", "No space between dots")
        self.path = config.string("path", None)
        self.override = config.boolean("override", False)
        config.finish()

    def execute(self, document: IngestDocument) -> IngestDocument:
        container: dict[str, Any] = read(document, self.path, MAP) if self.path \
            else document.fields
        prefix = f"{self.path}." if self.path else ""
        names = [k for k in container if k.find(".") > 0] if self.field == "*" \
            else [self.field]
        for name in names:
            self._expand(document, container, prefix + name, name)
        return document

    def _expand(self, document: IngestDocument, container: dict[str, Any], path: str,
                name: str) -> None:
        if name not in container:
            return
        value = container.pop(name)
        if document.has(path):
            if self.override:
                document.set(path, value)
            else:
                document.append(path, value)
            return
        index = path.find(".")
        while index != -1:
            partial = path[:index]
            if not document.has(partial):
                break
            if not isinstance(document.get(partial), dict):
                raise IllegalArgument(f"cannot expand [{path}], because [{partial}] is not an "
                                      f"object field, but a value field")
            index = path.find(".", index + 1)
        document.set(path, value)
