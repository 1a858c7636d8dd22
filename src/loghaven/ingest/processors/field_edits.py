"""Processors that add, copy, move and remove fields: ``set``, ``append``, ``remove``,
``rename`` (ES's options and messages; field names and values may be Mustache templates)."""

from __future__ import annotations

import copy
from typing import Any

from loghaven.errors import IllegalArgument
from loghaven.ingest.pipeline.document import METADATA_FIELDS, IngestDocument
from loghaven.ingest.pipeline.processor import Processor, ProcessorConfig, processor_type
from loghaven.ingest.pipeline.template import MEDIA_TYPES, Template, ValueSource


def media_type(config: ProcessorConfig) -> str:
    value = config.string("media_type", "application/json")
    if value not in MEDIA_TYPES:
        raise config.error("media_type",
                           f"property does not contain a supported media type [{value}]")
    return str(value)


@processor_type("set")
class SetProcessor(Processor):
    """Set ``field`` to ``value`` (templated) or to a copy of ``copy_from``."""

    type = "set"

    def __init__(self, config: ProcessorConfig) -> None:
        super().__init__(config.tag)
        self.field = Template(config.string("field"))
        self.copy_from = config.string("copy_from", None)
        has_value = config.options.get("value") is not None
        if self.copy_from is not None and has_value:
            raise config.error("copy_from", "cannot set both `copy_from` and `value` in the "
                                            "same processor")
        media = media_type(config)
        self.value = None if self.copy_from is not None else ValueSource(config.raw("value"),
                                                                          media)
        self.override = config.boolean("override", True)
        self.ignore_empty_value = config.boolean("ignore_empty_value", False)

    def execute(self, document: IngestDocument) -> IngestDocument:
        path = self.field.render(document)
        if not self.override and document.has(path, allow_null=False):
            return document
        if self.value is None:
            value: Any = copy.deepcopy(document.get(str(self.copy_from)))
        else:
            value = self.value.resolve(document)
            if self.ignore_empty_value and self.value.templated and value in (None, ""):
                return document
        if self.ignore_empty_value and value is None:
            return document
        document.set(path, value, copy_value=self.value is not None)  # copy_from: a copy
        return document


@processor_type("append")
class AppendProcessor(Processor):
    """Append ``value`` (one or a list, templated) to ``field``, making it a list."""

    type = "append"

    def __init__(self, config: ProcessorConfig) -> None:
        super().__init__(config.tag)
        self.field = Template(config.string("field"))
        raw = config.raw("value")
        self.value = ValueSource(raw, media_type(config))
        self.allow_duplicates = config.boolean("allow_duplicates", True)

    def execute(self, document: IngestDocument) -> IngestDocument:
        document.append(self.field.render(document), self.value.resolve(document),
                        allow_duplicates=self.allow_duplicates)
        return document


@processor_type("remove")
class RemoveProcessor(Processor):
    """Remove ``field`` (one or a list), or every source field but those in ``keep``."""

    type = "remove"

    def __init__(self, config: ProcessorConfig) -> None:
        super().__init__(config.tag)
        has_field = config.options.get("field") is not None
        has_keep = config.options.get("keep") is not None
        if not has_field and not has_keep:
            raise config.error("keep", "[keep] or [field] must be specified")
        if has_field and has_keep:
            raise config.error("keep", "[keep] and [field] cannot both be used in the same "
                                       "processor")
        self.fields = [Template(f) for f in config.strings("field", [])]
        self.keep = [Template(f) for f in config.strings("keep", [])]
        self.ignore_missing = config.boolean("ignore_missing", False)

    def execute(self, document: IngestDocument) -> IngestDocument:
        if self.keep:
            kept = [t.render(document) for t in self.keep]
            for name in list(document.fields):
                if name in METADATA_FIELDS or any(k == name or k.startswith(name + ".")
                                                  for k in kept):
                    continue
                del document.fields[name]
            return document
        for template in self.fields:
            path = template.render(document)
            if self.ignore_missing and not document.has(path):
                continue
            document.remove(path)
        return document


@processor_type("rename")
class RenameProcessor(Processor):
    """Move ``field`` to ``target_field``."""

    type = "rename"

    def __init__(self, config: ProcessorConfig) -> None:
        super().__init__(config.tag)
        self.field = Template(config.string("field"))
        self.target = Template(config.string("target_field"))
        self.ignore_missing = config.boolean("ignore_missing", False)
        self.override = config.boolean("override", False)

    def execute(self, document: IngestDocument) -> IngestDocument:
        path = self.field.render(document)
        if not document.has(path):
            if self.ignore_missing:
                return document
            raise IllegalArgument(f"field [{path}] doesn't exist")
        target = self.target.render(document)
        if document.has(target) and not self.override:
            raise IllegalArgument(f"field [{target}] already exists")
        value = document.get(path)
        document.remove(path)
        try:
            document.set(target, value, copy_value=False)  # moved, so owned by nobody else
        except IllegalArgument:
            document.set(path, value, copy_value=False)
            raise
        return document
