"""Mustache templates in processor options (``"{{field}}"``), compiled once per processor.

ES compiles an option as a template only when it contains ``{{``; the model is the document's
source and metadata with ``_ingest`` beside them, and a variable's value is escaped for the
processor's ``media_type`` (JSON string escaping by default, as ES's mustache factory does).
Plain variables are rendered here without re-parsing; a template with sections goes to
chevron whole.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from typing import Any

import chevron
import orjson
from chevron.tokenizer import tokenize

from loghaven.ingest.pipeline.document import IngestDocument
from loghaven.scripting.java_text import java_str

MEDIA_TYPES = ("application/json", "text/plain", "application/x-www-form-urlencoded")
_PLAIN = ("literal", "variable", "no escape", "comment")


def java_string(value: Any) -> str:
    """``value`` as ES's mustache renders it: Java's ``toString``, and nothing for null."""
    return "" if value is None else java_str(value)


def _escaper(media_type: str) -> Callable[[str], str]:
    if media_type == "application/json":
        return lambda text: orjson.dumps(text).decode()[1:-1]
    if media_type == "application/x-www-form-urlencoded":
        return lambda text: urllib.parse.quote_plus(text)
    return lambda text: text


def model(document: IngestDocument) -> dict[str, Any]:
    """What a template sees: source and metadata, also as ``_source``, and ``_ingest``."""
    return {**document.fields, "_source": document.fields, "_ingest": document.ingest}


def _lookup(scope: dict[str, Any], key: str) -> Any:
    value: Any = scope
    for part in key.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


class Template:
    """A string option that may hold ``{{...}}``; :meth:`render` gives its text for one
    document."""

    def __init__(self, text: str, media_type: str = "application/json") -> None:
        self.text = text
        self.escape = _escaper(media_type)
        self.parts: list[tuple[str, str]] | None = None  # None: constant
        self.sections = False
        if "{{" in text:
            self.parts = list(tokenize(text))
            self.sections = any(kind not in _PLAIN for kind, _ in self.parts)

    @property
    def constant(self) -> bool:
        return self.parts is None

    def render(self, document: IngestDocument) -> str:
        if self.parts is None:
            return self.text
        scope = model(document)
        if self.sections:
            return chevron.render(self.text, scope)
        out: list[str] = []
        for kind, key in self.parts:
            if kind == "literal":
                out.append(key)
            elif kind == "variable":
                out.append(self.escape(java_string(_lookup(scope, key))))
            elif kind == "no escape":
                out.append(java_string(_lookup(scope, key)))
        return "".join(out)


class ValueSource:
    """An option's value whose strings (also inside lists and objects) may be templates."""

    def __init__(self, value: Any, media_type: str = "application/json") -> None:
        self.value = value
        self.media_type = media_type
        self.templated = _has_template(value)
        self._compiled = _compile(value, media_type) if self.templated else None

    def resolve(self, document: IngestDocument) -> Any:
        if not self.templated:
            return self.value
        return _render(self._compiled, document)


def _has_template(value: Any) -> bool:
    if isinstance(value, str):
        return "{{" in value
    if isinstance(value, list):
        return any(map(_has_template, value))
    if isinstance(value, dict):
        return any(_has_template(k) or _has_template(v) for k, v in value.items())
    return False


def _compile(value: Any, media_type: str) -> Any:
    if isinstance(value, str):
        return Template(value, media_type)
    if isinstance(value, list):
        return [_compile(v, media_type) for v in value]
    if isinstance(value, dict):
        return {_compile(k, media_type): _compile(v, media_type) for k, v in value.items()}
    return value


def _render(compiled: Any, document: IngestDocument) -> Any:
    if isinstance(compiled, Template):
        return compiled.render(document)
    if isinstance(compiled, list):
        return [_render(v, document) for v in compiled]
    if isinstance(compiled, dict):
        return {_render(k, document): _render(v, document) for k, v in compiled.items()}
    return compiled
