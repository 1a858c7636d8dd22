"""The ``convert`` processor: a field's value (or each item of a list) as another type."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from loghaven.errors import IllegalArgument
from loghaven.ingest import java
from loghaven.ingest.pipeline.document import IngestDocument
from loghaven.ingest.pipeline.processor import Processor, ProcessorConfig, processor_type
from loghaven.ingest.processors.fields import read
from loghaven.scripting.java_text import java_str


def _integral(kind: str, name: str) -> Callable[[Any], Any]:
    def convert(value: Any) -> int:
        text = java_str(value)
        try:
            if text.startswith(("0x", "-0x")):  # Integer.decode
                negative = text.startswith("-")
                digits = text[3:] if negative else text[2:]
                number = int(digits, 16)
                return java.parse_int(str(-number if negative else number), kind)
            return java.parse_int(text, kind)
        except (java.NumberFormat, ValueError):
            raise IllegalArgument(f"unable to convert [{text}] to {name}") from None
    return convert


def _floating(kind: str) -> Callable[[Any], Any]:
    def convert(value: Any) -> float:
        text = java_str(value)
        try:
            return java.parse_number(text, kind)
        except java.NumberFormat:
            raise IllegalArgument(f"unable to convert [{text}] to {kind}") from None
    return convert


def _boolean(value: Any) -> bool:
    text = java_str(value)
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    raise IllegalArgument(f"[{text}] is not a boolean value, cannot convert to boolean")


def _ip(value: Any) -> Any:
    text = java_str(value)
    try:
        ipaddress.ip_address(text)
    except ValueError:
        raise IllegalArgument(f"'{text}' is not an IP string literal.") from None
    return value


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "integer": _integral("int", "integer"),
    "long": _integral("long", "long"),
    "float": _floating("float"),
    "double": _floating("double"),
    "boolean": _boolean,
    "ip": _ip,
    "string": java_str,
}


def _auto(value: Any) -> Any:
    """A string as the first type that reads it: boolean, integer, long, float, double."""
    if not isinstance(value, str):
        return value
    for name in ("boolean", "integer", "long", "float", "double"):
        try:
            return _CONVERTERS[name](value)
        except IllegalArgument:
            continue
    return value


_CONVERTERS["auto"] = _auto


@processor_type("convert")
class Convert(Processor):
    type = "convert"

    def __init__(self, config: ProcessorConfig) -> None:
        super().__init__(config.tag)
        self.field = config.string("field")
        kind = config.string("type")
        self.target_field = config.string("target_field", self.field)
        if kind.lower() not in _CONVERTERS:
            raise config.error("type", f"type [{kind}] not supported, cannot convert field.")
        self.kind = kind.lower()
        self.convert = _CONVERTERS[self.kind]
        self.ignore_missing = config.boolean("ignore_missing", False)
        config.finish()

    def execute(self, document: IngestDocument) -> IngestDocument:
        value = read(document, self.field, None, self.ignore_missing)
        if value is None:
            if self.ignore_missing:
                return document
            raise IllegalArgument(f"Field [{self.field}] is null, cannot be converted to type "
                                  f"[{self.kind}]")
        if isinstance(value, list):
            converted: Any = [self.convert(item) for item in value]
        else:
            converted = self.convert(value)
        document.set(self.target_field, converted)
        return document
