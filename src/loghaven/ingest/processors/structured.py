"""Processors that read structured text into fields: ``csv``, ``kv`` and ``json``."""

from __future__ import annotations

import json
import re
from typing import Any

from loghaven.errors import IllegalArgument
from loghaven.ingest import java
from loghaven.ingest.pipeline.document import IngestDocument
from loghaven.ingest.pipeline.processor import Processor, ProcessorConfig, processor_type
from loghaven.ingest.pipeline.template import Template
from loghaven.ingest.processors.fields import STRING, read, read_present
from loghaven.scripting.java_text import java_str

# -- csv --

_CSV_BLANK = " \t"


class _CsvLine:
    """One line through ES's CsvParser (RFC 4180 with ``quote``, ``separator`` and
    ``trim``): each value fills the next target field; empty values take ``empty_value``
    (or are left out); parsing stops when every target field has had its value."""

    def __init__(self, processor: Csv, document: IngestDocument, line: str) -> None:
        self.p = processor
        self.document = document
        self.line = line
        self.header = 0
        self.start = 0
        self.buffer = ""

    def emit(self, end: int) -> bool:
        """Set the current field from ``start`` to ``end``; True once all are set."""
        value = self.buffer + self.line[self.start:end]
        self.buffer = ""
        if value:
            self.document.set(self.p.target_fields[self.header], value)
        elif self.p.empty_value is not None:
            self.document.set(self.p.target_fields[self.header], self.p.empty_value)
        self.header += 1
        return self.header == len(self.p.target_fields)

    def parse(self) -> None:
        line, quote, separator, trim = self.line, self.p.quote, self.p.separator, self.p.trim
        length = len(line)
        i = 0
        while i < length:
            # the start of a value
            char = line[i]
            if char == quote:
                i = self._quoted(i + 1)
                if i < 0:
                    return
                continue
            if char == separator:
                self.start = i + 1
                if self.emit(i + 1):
                    return
                i += 1
                continue
            if char in _CSV_BLANK:
                if trim:
                    self.start = i + 1
                i += 1
                continue
            # an unquoted value
            spaces = 0
            while i < length:
                char = line[i]
                if char in "\n\r" or char == quote:
                    raise IllegalArgument(f"Illegal character inside unquoted field at {i}")
                if trim and char in _CSV_BLANK:
                    spaces += 1
                elif char == separator:
                    if self.emit(i - spaces):
                        return
                    self.start = i + 1
                    break
                else:
                    spaces = 0
                i += 1
            else:
                self.emit(length - spaces if trim else length)
                return
            i += 1

    def _quoted(self, i: int) -> int:
        """Read a quoted value starting after its quote; the index to go on from, or -1
        when parsing is over."""
        line, quote, length = self.line, self.p.quote, len(self.line)
        self.start = i
        while True:
            end = line.find(quote, i)
            if end == -1:
                raise IllegalArgument("Unmatched quote")
            if end + 1 < length and line[end + 1] == quote:  # an escaped quote
                self.buffer += line[self.start:end] + quote
                self.start = i = end + 2
                continue
            break
        value_end = end
        i = end + 1
        emitted = False
        while i < length:
            char = line[i]
            if char in _CSV_BLANK:
                if not emitted:
                    if self.emit(value_end):
                        return -1
                    emitted = True
            elif char == self.p.separator:
                if not emitted and self.emit(value_end):
                    return -1
                self.start = i + 1
                return i + 1
            else:
                raise IllegalArgument(f"character '{char}' after quoted field at {i}")
            i += 1
        if not emitted:
            self.emit(value_end)
        return -1


@processor_type("csv")
class Csv(Processor):
    type = "csv"

    def __init__(self, config: ProcessorConfig) -> None:
        super().__init__(config.tag)
        self.field = config.string("field")
        self.quote = config.string("quote", '"')
        if len(self.quote) != 1:
            raise config.error("quote", "quote has to be single character like \" or '")
        self.separator = config.string("separator", ",")
        if len(self.separator) != 1:
            raise config.error("separator", "separator has to be single character like , or ;")
        self.trim = config.boolean("trim", False)
        self.empty_value = config.raw("empty_value", None)
        self.ignore_missing = config.boolean("ignore_missing", False)
        self.target_fields = config.strings("target_fields")
        if not self.target_fields:
            raise config.error("target_fields", "target fields list can't be empty")
        config.finish()

    def execute(self, document: IngestDocument) -> IngestDocument:
        line = read_present(document, self.field, STRING, self.ignore_missing)
        if line is not None:
            _CsvLine(self, document, line).parse()
        return document


# -- kv --

_STRIP_BRACKETS = re.compile(r"(^[(\[<\"'])|([\])>\"']$)")


def _trimmer(characters: str | None) -> Any:
    if characters is None:
        return lambda value: value
    pattern = java.compile_regex(f"(^([{characters}]+))|([{characters}]+$)")
    return lambda value: pattern.sub("", value)


def _splitter(separator: str, limit: int) -> Any:
    """ES splits with a regular expression unless the separator is one character (or an
    escaped one), the fast path of String.split."""
    if len(separator) > 2 or (len(separator) == 2 and separator[0] != "\\"):
        pattern = java.compile_regex(separator)
        return lambda value: java.split(value, pattern, limit)
    return lambda value: java.split(value, separator, limit)


@processor_type("kv")
class KeyValue(Processor):
    """``key=value`` pairs into fields: ``field_split`` between pairs, ``value_split``
    within one (both regular expressions); a repeated key becomes a list."""

    type = "kv"

    def __init__(self, config: ProcessorConfig) -> None:
        super().__init__(config.tag)
        # templates, as ES's KeyValueProcessor has them
        self.field = Template(config.string("field"))
        target_field = config.string("target_field", None)
        self.target_field = None if target_field is None else Template(target_field)
        self.field_split = config.string("field_split")
        self.value_split = config.string("value_split")
        trim_key = config.string("trim_key", None)
        trim_value = config.string("trim_value", None)
        self.prefix = config.string("prefix", None) or ""
        self.strip_brackets = config.boolean("strip_brackets", False)
        include = config.strings("include_keys", None)
        exclude = config.strings("exclude_keys", None)
        self.include = None if include is None else frozenset(include)
        self.exclude = frozenset(exclude or ())
        self.ignore_missing = config.boolean("ignore_missing", False)
        config.finish()
        self.split_fields = _splitter(self.field_split, 0)
        self.split_value = _splitter(self.value_split, 2)
        self.trim_key = _trimmer(trim_key)
        self.trim_value = _trimmer(trim_value)

    def execute(self, document: IngestDocument) -> IngestDocument:
        path = self.field.render(document)
        if not document.has(path):
            if self.ignore_missing:
                return document
            raise IllegalArgument(f"field [{path}] doesn't exist")
        value = read(document, path, STRING, self.ignore_missing)
        if value is None:
            if self.ignore_missing:
                return document
            raise IllegalArgument(f"field [{path}] is null, cannot extract key-value pairs.")
        target_field = None if self.target_field is None else self.target_field.render(document)
        prefix = f"{target_field}.{self.prefix}" if target_field else self.prefix
        for part in self.split_fields(value):
            pair = self.split_value(part)
            if len(pair) != 2:
                raise IllegalArgument(f"field [{path}] does not contain value_split "
                                      f"[{self.value_split}]")
            key = self.trim_key(pair[0])
            if (self.include is None or key in self.include) and key not in self.exclude:
                text = pair[1]
                if self.strip_brackets:
                    text = _STRIP_BRACKETS.sub("", text)
                target = prefix + key
                if document.has(target):
                    document.append(target, self.trim_value(text))
                else:
                    document.set(target, self.trim_value(text))
        return document


# -- json --

_CONFLICT_STRATEGIES = ("replace", "merge")


def _merge(target: dict[str, Any], source: dict[str, Any]) -> None:
    for key, value in source.items():
        if isinstance(target.get(key), dict) and isinstance(value, dict):
            _merge(target[key], value)
        else:
            target[key] = value


@processor_type("json")
class Json(Processor):
    """A JSON string as the object (or value) it holds, at ``target_field`` or merged into
    the document's root."""

    type = "json"

    def __init__(self, config: ProcessorConfig) -> None:
        super().__init__(config.tag)
        self.field = config.string("field")
        target_field = config.string("target_field", None)
        self.add_to_root = config.boolean("add_to_root", False)
        strategy = config.string("add_to_root_conflict_strategy", None)
        self.allow_duplicate_keys = config.boolean("allow_duplicate_keys", False)
        self.strict = config.boolean("strict_json_parsing", True)
        if strategy is not None and strategy.lower() not in _CONFLICT_STRATEGIES:
            raise config.error("add_to_root_conflict_strategy", f"conflict strategy "
                               f"[{strategy}] not supported, cannot convert field.")
        if self.add_to_root and target_field is not None:
            raise config.error("target_field", "Cannot set a target field while also setting "
                                               "`add_to_root` to true")
        if not self.add_to_root and strategy is not None:
            raise config.error("add_to_root_conflict_strategy", "Cannot set "
                               "`add_to_root_conflict_strategy` if `add_to_root` is false")
        self.merge = (strategy or "replace").lower() == "merge"
        self.target_field = target_field or self.field
        config.finish()

    def _pairs(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result and not self.allow_duplicate_keys:
                raise IllegalArgument(f"Duplicate field '{key}'")
            result[key] = value
        return result

    def parse(self, value: Any) -> Any:
        text = "null" if value is None else java_str(value)
        decoder = json.JSONDecoder(object_pairs_hook=self._pairs)
        try:
            if self.strict:
                return decoder.decode(text)
            parsed, _ = decoder.raw_decode(text.lstrip())
            return parsed
        except json.JSONDecodeError as error:
            raise IllegalArgument(f"failed to parse field [{self.field}] as JSON: {error}") \
                from None

    def execute(self, document: IngestDocument) -> IngestDocument:
        if not self.add_to_root:
            document.set(self.target_field, self.parse(document.get(self.field)))
            return document
        parsed = self.parse(document.fields.get(self.field))
        if not isinstance(parsed, dict):
            raise IllegalArgument("cannot add non-map fields to root of document")
        if self.merge:
            _merge(document.fields, parsed)
        else:
            document.fields.update(parsed)
        return document
